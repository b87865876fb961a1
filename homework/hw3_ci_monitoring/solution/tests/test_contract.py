"""Every response conforms to the course contract (tests/public/contract.json), and the stored
table is the one the contract describes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from app.schemas import DEFAULT_PAGE_SIZE, MAX_BATCH_SIZE, MAX_CUSTOMER_ID_LENGTH, MAX_PAGE_SIZE

CONTRACT = json.loads((Path(__file__).parent / "public" / "contract.json").read_text())


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$defs": CONTRACT["$defs"], "$ref": f"#/$defs/{name}"}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_conforms(body: Any, name: str) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(body)]
    assert not errors, f"response does not match {name}: {errors}"


def test_contract_limits_match_the_service() -> None:
    limits = CONTRACT["limits"]
    assert limits["max_batch_size"] == MAX_BATCH_SIZE
    assert limits["max_customer_id_length"] == MAX_CUSTOMER_ID_LENGTH
    assert limits["default_page_size"] == DEFAULT_PAGE_SIZE
    assert limits["max_page_size"] == MAX_PAGE_SIZE


def test_health_and_ready(client: TestClient) -> None:
    assert_conforms(client.get("/health").json(), "Health")
    assert_conforms(client.get("/ready").json(), "Health")


def test_model_info(client: TestClient) -> None:
    assert_conforms(client.get("/model").json(), "ModelInfo")


@pytest.mark.parametrize("with_id", [True, False])
def test_prediction(client: TestClient, customer: dict, with_id: bool) -> None:
    if not with_id:
        del customer["customer_id"]
    body = client.post("/predict", json=customer).json()
    assert_conforms(body, "StoredPrediction")
    assert_conforms(body, "Prediction")  # still an hw1 answer


def test_batch(client: TestClient, customer: dict) -> None:
    body = client.post("/predict/batch", json={"customers": [customer] * 3}).json()
    assert_conforms(body, "StoredBatchResponse")
    assert_conforms(body, "BatchResponse")


def test_page_and_record(client: TestClient, customer: dict) -> None:
    customer.update(tenure=0, total_charges=None)
    record_id = client.post("/predict", json=customer).json()["id"]
    assert_conforms(client.get("/predictions").json(), "PredictionPage")
    assert_conforms(client.get(f"/predictions/{record_id}").json(), "PredictionRecord")


def test_an_empty_page(client: TestClient) -> None:
    assert_conforms(client.get("/predictions").json(), "PredictionPage")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/predict", {}),
        ("POST", "/predict", {"tenure": "x"}),
        ("POST", "/predict/batch", {"customers": []}),
        ("POST", "/predict/batch", {"customers": [{}]}),
        ("GET", "/predictions?limit=0", None),
        ("GET", "/predictions?offset=-1", None),
        ("GET", "/predictions/x", None),
    ],
)
def test_validation_errors(client: TestClient, method: str, path: str, body: Any) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 422
    assert_conforms(response.json(), "ValidationError")


def test_not_found(client: TestClient) -> None:
    response = client.get("/predictions/12345")
    assert response.status_code == 404
    assert_conforms(response.json(), "Error")


def test_request_too_large(client: TestClient) -> None:
    response = client.post("/predict/batch", content=b"[" + b" " * 5_000_000 + b"]")
    assert response.status_code == 413
    assert_conforms(response.json(), "Error")


def test_openapi_lists_every_contract_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert_conforms(document, "OpenAPIDocument")
    for endpoint in CONTRACT["endpoints"]:
        if endpoint["path"] == "/openapi.json":
            continue
        operations = document["paths"].get(endpoint["path"], {})
        assert endpoint["method"].lower() in operations, endpoint["path"]


def test_openapi_query_parameters_match_the_contract(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    [listing] = [e for e in CONTRACT["endpoints"] if e["path"] == "/predictions"]
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/predictions"]["get"]["parameters"]
    }
    for name, spec in listing["query"].items():
        for key in ("minimum", "maximum", "default"):
            if key in spec:
                assert parameters[name][key] == spec[key], (name, key)


def test_openapi_customer_schema_matches_contract(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    contract = CONTRACT["$defs"]["Customer"]
    assert sorted(schemas["Customer"]["required"]) == sorted(contract["required"])
    assert set(schemas["Customer"]["properties"]) == set(contract["properties"])
    assert schemas["Customer"]["additionalProperties"] is False
