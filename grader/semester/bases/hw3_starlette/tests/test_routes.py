"""Every route answers with the contract's status codes and bodies."""

from __future__ import annotations

import pytest


def test_health_is_ok_once_loaded(http) -> None:
    reply = http.get("/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_model_card_lists_the_19_features_and_metrics(http) -> None:
    card = http.get("/model").json()
    names = [f["name"] for f in card["features"]]
    assert len(names) == 19 and "customer_id" not in names
    tenure = next(f for f in card["features"] if f["name"] == "tenure")
    assert (tenure["type"], tenure["minimum"], tenure["maximum"]) == ("integer", 0, 120)
    total = next(f for f in card["features"] if f["name"] == "total_charges")
    assert total["nullable"] is True and total["type"] == "number"
    assert tenure["nullable"] is False
    assert 0.8 < card["metrics"]["roc_auc"] < 0.9
    assert card["threshold"] == 0.5


def test_predict_echoes_the_id_and_matches_the_spec_example(http, sample) -> None:
    body = http.post("/predict", json=sample).json()
    assert body["customer_id"] == "7590-VHVEG"
    assert body["churn"] is True
    assert body["churn_probability"] == pytest.approx(0.6163, abs=1e-4)
    assert body["model_version"] == "1.0.0"


def test_predict_without_id_echoes_null_and_the_same_risk(http, sample) -> None:
    with_id = http.post("/predict", json=sample).json()
    del sample["customer_id"]
    without = http.post("/predict", json=sample).json()
    assert without["customer_id"] is None
    assert without["churn_probability"] == with_id["churn_probability"]


def test_new_customer_with_null_total_charges(http, sample) -> None:
    sample.update(tenure=0, total_charges=None)
    reply = http.post("/predict", json=sample)
    assert reply.status_code == 200
    assert 0 <= reply.json()["churn_probability"] <= 1


def test_batch_keeps_request_order(http, sample) -> None:
    loyal = {
        **sample,
        "customer_id": "b",
        "tenure": 60,
        "contract": "Two year",
        "total_charges": 1791.0,
    }
    reply = http.post("/predict/batch", json={"customers": [sample, loyal]})
    assert reply.status_code == 200
    predictions = reply.json()["predictions"]
    assert [p["customer_id"] for p in predictions] == ["7590-VHVEG", "b"]
    single = http.post("/predict", json=loyal).json()["churn_probability"]
    assert predictions[1]["churn_probability"] == single
    assert reply.json()["model_version"] == "1.0.0"


def test_batch_limits(http, sample) -> None:
    assert http.post("/predict/batch", json={"customers": [sample] * 1000}).status_code == 200
    assert http.post("/predict/batch", json={"customers": [sample] * 1001}).status_code == 422
    empty = http.post("/predict/batch", json={"customers": []})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "customers"]


def test_openapi_lists_every_route_and_docs_is_a_page(http) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/health", "/model", "/predict", "/predict/batch"} <= set(document["paths"])
    assert "post" in document["paths"]["/predict/batch"]
    docs = http.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


def test_unknown_route_and_wrong_method_are_json(http) -> None:
    assert http.get("/nope").status_code == 404
    wrong = http.delete("/predict")
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}


def test_openapi_request_bodies_are_required(http) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for route in ("/predict", "/predict/batch"):
        assert paths[route]["post"]["requestBody"]["required"] is True


def test_a_batch_of_one_is_a_batch(http, sample) -> None:
    reply = http.post("/predict/batch", json={"customers": [sample]})
    assert reply.status_code == 200
    assert [p["customer_id"] for p in reply.json()["predictions"]] == ["7590-VHVEG"]


def test_health_is_503_until_the_model_is_loaded(database_url) -> None:
    from starlette.testclient import TestClient

    from app.main import build

    client = TestClient(build(database_url=database_url))  # no `with`: no lifespan, no model
    reply = client.get("/health")
    assert reply.status_code == 503 and reply.json() == {"status": "loading"}
    assert len(reply.headers["x-request-id"]) == 32
