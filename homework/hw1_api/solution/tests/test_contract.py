"""Every response conforms to the course contract (tests/public/contract.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

CONTRACT = json.loads((Path(__file__).parent / "public" / "contract.json").read_text())


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$defs": CONTRACT["$defs"], "$ref": f"#/$defs/{name}"}
    return jsonschema.Draft202012Validator(schema)


def assert_conforms(body: Any, name: str) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(body)]
    assert not errors, f"response does not match {name}: {errors}"


def test_contract_limits_match_the_service() -> None:
    from app.schemas import MAX_BATCH_SIZE, MAX_CUSTOMER_ID_LENGTH

    assert CONTRACT["limits"]["max_batch_size"] == MAX_BATCH_SIZE
    assert CONTRACT["limits"]["max_customer_id_length"] == MAX_CUSTOMER_ID_LENGTH


def test_test_customer_is_valid_under_the_contract(customer: dict) -> None:
    assert_conforms(customer, "Customer")


def test_health(client: TestClient) -> None:
    assert_conforms(client.get("/health").json(), "Health")


def test_model_info(client: TestClient) -> None:
    assert_conforms(client.get("/model").json(), "ModelInfo")


@pytest.mark.parametrize("with_id", [True, False])
def test_prediction(client: TestClient, customer: dict, with_id: bool) -> None:
    if not with_id:
        del customer["customer_id"]
    assert_conforms(client.post("/predict", json=customer).json(), "Prediction")


def test_batch(client: TestClient, customer: dict) -> None:
    body = client.post("/predict/batch", json={"customers": [customer] * 3}).json()
    assert_conforms(body, "BatchResponse")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/predict", {}),
        ("/predict", {"tenure": "x"}),
        ("/predict/batch", {"customers": []}),
        ("/predict/batch", {"customers": [{}]}),
    ],
)
def test_validation_errors(client: TestClient, path: str, body: dict) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert_conforms(response.json(), "ValidationError")


def test_request_too_large(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(5):
            yield b" " * 1_000_000
        yield b"]"

    response = client.post("/predict/batch", content=chunks())
    assert response.status_code == 413
    assert_conforms(response.json(), "Error")


def test_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert_conforms(document, "OpenAPIDocument")
    for endpoint in CONTRACT["endpoints"]:
        if endpoint["path"] == "/openapi.json":
            continue
        operations = document["paths"].get(endpoint["path"], {})
        assert endpoint["method"].lower() in operations, endpoint["path"]


def test_openapi_customer_schema_matches_contract(client: TestClient) -> None:
    """The service's own request schema requires exactly the contract's fields."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    contract = CONTRACT["$defs"]["Customer"]
    assert sorted(schemas["Customer"]["required"]) == sorted(contract["required"])
    assert set(schemas["Customer"]["properties"]) == set(contract["properties"])
    assert schemas["Customer"]["additionalProperties"] is False
