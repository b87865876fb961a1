import json
from pathlib import Path
from typing import get_args

from fastapi.testclient import TestClient

from app.schemas import Customer

ROOT = Path(__file__).resolve().parents[2]
FEATURES = [name for name in Customer.model_fields if name != "customer_id"]


def test_model_info_identity(client: TestClient) -> None:
    body = client.get("/model").json()
    artefact = json.loads((ROOT / "model" / "model.json").read_text())
    assert body["name"] == artefact["name"]
    assert body["version"] == artefact["version"]
    assert body["threshold"] == 0.5


def test_model_info_lists_the_19_features_in_order(client: TestClient) -> None:
    features = client.get("/model").json()["features"]
    assert [f["name"] for f in features] == FEATURES
    assert len(features) == 19
    by_name = {f["name"]: f for f in features}
    assert by_name["tenure"] == {
        "name": "tenure",
        "type": "integer",
        "nullable": False,
        "minimum": 0,
        "maximum": 120,
        "description": "months with the company",
    }
    assert by_name["total_charges"]["nullable"] is True
    assert by_name["total_charges"]["type"] == "number"
    assert by_name["female"]["allowed"] == [0, 1]
    assert by_name["contract"]["allowed"] == ["Month-to-month", "One year", "Two year"]


def test_model_info_metrics_are_the_golden_metrics(client: TestClient) -> None:
    metrics = client.get("/model").json()["metrics"]
    golden = json.loads((ROOT / "model" / "metrics.json").read_text())
    assert metrics == golden
    assert metrics["roc_auc"] > 0.8
    assert metrics["n_train"] + metrics["n_valid"] == 5607


def test_model_categories_match_the_request_schema() -> None:
    """Training and the API agree on every categorical feature's allowed values."""
    index = json.loads((ROOT / "model" / "model.json").read_text())["categorical"]["index"]
    for feature, categories in index.items():
        allowed = get_args(Customer.model_fields[feature].annotation)
        assert sorted(categories) == sorted(allowed), feature


def test_model_version_matches_predictions(client: TestClient, customer: dict) -> None:
    version = client.get("/model").json()["version"]
    assert client.post("/predict", json=customer).json()["model_version"] == version
