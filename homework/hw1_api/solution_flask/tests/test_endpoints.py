"""Every endpoint answers, and every body conforms to the contract."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from app.main import create_app
from app.model import ChurnModel
from tests.support import CONTRACT, ROOT, assert_conforms, flat_params


def test_health(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert_conforms("Health", response.get_json())


def test_model_info(client) -> None:
    response = client.get("/model")
    assert response.status_code == 200
    info = response.get_json()
    assert_conforms("ModelInfo", info)
    required = CONTRACT["$defs"]["Customer"]["required"]
    assert [f["name"] for f in info["features"]] == required
    assert 0.8 <= info["metrics"]["roc_auc"] <= 1
    committed = json.loads((ROOT / "model" / "metrics.json").read_text())
    assert info["metrics"] == committed  # train_label_rate and train_flag_rate included
    by_name = {f["name"]: f for f in info["features"]}
    assert by_name["total_charges"]["nullable"] is True
    assert by_name["contract"]["values"] == ["Month-to-month", "One year", "Two year"]


def test_predict(client, customer) -> None:
    response = client.post("/predict", json=customer)
    assert response.status_code == 200
    body = response.get_json()
    assert_conforms("Prediction", body)
    assert body["customer_id"] == customer["customer_id"]
    assert body["churn"] == (body["churn_probability"] >= 0.5)
    assert body["model_version"] == client.get("/model").get_json()["version"]


def test_predict_batch(client, customer) -> None:
    customers = [dict(customer, customer_id=f"c{i}", tenure=i) for i in range(5)]
    response = client.post("/predict/batch", json={"customers": customers})
    assert response.status_code == 200
    body = response.get_json()
    assert_conforms("BatchResponse", body)
    assert [p["customer_id"] for p in body["predictions"]] == [f"c{i}" for i in range(5)]


def test_openapi_document(client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert_conforms("OpenAPIDocument", doc)
    assert doc["openapi"].startswith("3.1")
    for endpoint in CONTRACT["endpoints"]:
        assert endpoint["method"].lower() in doc["paths"][endpoint["path"]]
    schemas = doc["components"]["schemas"]
    assert schemas["Customer"]["required"] == CONTRACT["$defs"]["Customer"]["required"]
    for path, schema in [("/predict", "Customer"), ("/predict/batch", "BatchRequest")]:
        body = doc["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{schema}"
        }

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [
                r for v in node.values() for r in refs(v)
            ]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    for ref in refs(doc):  # every reference resolves inside the document
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas


def test_docs_page_is_offline(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "/openapi.json" in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere


def test_unknown_route_is_json_404(client) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Not Found"}


def test_wrong_method_is_json_405(client) -> None:
    for method, path in [("delete", "/predict"), ("get", "/predict/batch"), ("post", "/health")]:
        response = getattr(client, method)(path)
        assert response.status_code == 405
        assert response.get_json() == {"detail": "Method Not Allowed"}
        assert "Allow" in response.headers


def test_oversized_body_is_413(client, customer) -> None:
    response = client.post(
        "/predict/batch",
        data=b'{"customers": [' + b" " * (9 * 1024 * 1024) + b"]}",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert_conforms("Error", response.get_json())


@pytest.mark.parametrize(
    ("intercept", "churn"), [(-1e-9, False), (0.0, True)], ids=["just below", "exactly at"]
)
def test_churn_flag_at_the_threshold(customer, intercept: float, churn: bool) -> None:
    """End to end: the churn flag for a probability at (and just below) the 0.5 threshold."""
    client = create_app(model=ChurnModel(flat_params(intercept))).test_client()
    body = client.post("/predict", json=customer).get_json()
    assert body["churn_probability"] == pytest.approx(0.5, abs=1e-9)
    assert body["churn"] is churn
    batch = client.post("/predict/batch", json={"customers": [customer]}).get_json()
    assert batch["predictions"] == [body]


@pytest.mark.parametrize(
    "features",
    [
        CONTRACT["$defs"]["Customer"]["required"][1:],
        [*CONTRACT["$defs"]["Customer"]["required"], "shoe_size"],
    ],
    ids=["a feature missing", "an unknown feature"],
)
def test_app_refuses_a_model_that_disagrees_with_the_contract(features: list[str]) -> None:
    model = ChurnModel(flat_params(0.0, features=features))
    with pytest.raises(RuntimeError, match="disagree on features"):
        create_app(model=model)


def test_a_non_finite_prediction_is_a_json_500_not_invalid_json(customer) -> None:
    """A broken model (NaN weights) must not make the service send NaN, which JSON has not."""
    client = create_app(model=ChurnModel(flat_params(math.nan))).test_client()
    response = client.post("/predict", json=customer)
    assert response.status_code == 500
    assert response.get_json() == {"detail": "Internal Server Error"}
    json.loads(response.get_data(as_text=True), parse_constant=pytest.fail)
