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


def test_ready_while_the_database_answers(http) -> None:
    reply = http.get("/ready")
    assert reply.status_code == 200 and reply.json() == {"status": "ok"}


def test_the_model_card_describes_each_feature() -> None:
    from app.main import card
    from app.scoring import WeightTable

    described = card(WeightTable.read())
    features = {f["name"]: f for f in described["features"]}
    assert features["total_charges"] == {
        "name": "total_charges",
        "type": "number",
        "nullable": True,
        "minimum": 0.0,
        "maximum": 200000.0,
    }
    assert features["contract"] == {
        "name": "contract",
        "type": "string",
        "nullable": False,
        "allowed": ["Month-to-month", "One year", "Two year"],
    }
    assert (features["female"]["minimum"], features["female"]["maximum"]) == (0, 1)
    assert "customer_id" not in features and len(features) == 19
    assert described["metrics"]["train_flag_rate"] == 0.215608


def test_the_document_describes_every_answer_of_every_route() -> None:
    from app.openapi import build_document

    document = build_document("9.9.9")
    assert document["info"]["version"] == "9.9.9"
    answers = {
        (path, method): {
            code: (spec["description"], spec.get("content", {}).get("application/json"))
            for code, spec in operation["responses"].items()
        }
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }

    def ref(name: str) -> dict:
        return {"schema": {"$ref": f"#/components/schemas/{name}"}}

    assert answers[("/health", "get")] == {
        "200": ("OK", None),
        "503": ("Database unavailable (retry)", ref("Error")),
    }
    assert answers[("/predict", "post")] == {
        "200": ("OK", ref("StoredPrediction")),
        "422": ("Invalid input", ref("Problem")),
        "503": ("Database unavailable (retry)", ref("Error")),
    }
    assert answers[("/predict/batch", "post")]["413"] == ("Body too large", ref("Error"))
    assert answers[("/predictions", "get")]["422"] == ("Invalid input", ref("Problem"))
    assert answers[("/predictions/{id}", "get")]["404"] == ("No record with this id", ref("Error"))
    assert answers[("/ready", "get")]["200"] == ("OK", ref("Health"))
    codes = {route: set(spec) for route, spec in answers.items()}
    assert codes == {
        ("/health", "get"): {"200", "503"},
        ("/model", "get"): {"200"},
        ("/predict", "post"): {"200", "422", "503"},
        ("/predict/batch", "post"): {"200", "413", "422", "503"},
        ("/ready", "get"): {"200", "503"},
        ("/predictions", "get"): {"200", "422", "503"},
        ("/predictions/{id}", "get"): {"200", "404", "422", "503"},
        ("/metrics", "get"): {"200"},
    }
    for path in ("/predict", "/predict/batch"):
        assert document["paths"][path]["post"]["requestBody"]["required"] is True
    required = {
        (path, p["name"]): p["required"]
        for path, item in document["paths"].items()
        if "get" in item
        for p in item["get"].get("parameters", [])
    }
    assert required == {
        ("/predictions", "limit"): False,
        ("/predictions", "offset"): False,
        ("/predictions/{id}", "id"): True,
    }


def test_a_batch_that_is_not_json_is_422(http) -> None:
    reply = http.post(
        "/predict/batch", content=b'{"customers": [', headers={"content-type": "application/json"}
    )
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["type"] == "json_invalid"


def test_without_a_database_url_the_app_refuses_to_start(monkeypatch) -> None:
    from starlette.testclient import TestClient

    from app.main import build

    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL is not set"), TestClient(build()):
        pass


def test_the_service_starts_and_stays_alive_while_the_database_is_away(sample) -> None:
    from starlette.testclient import TestClient

    from app.main import build

    away = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    with TestClient(build(database_url=away, wait_s=0.5)) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 503
        assert client.post("/predict", json=sample).status_code == 503


def test_a_declared_length_above_the_limit_is_refused_before_reading() -> None:
    import asyncio

    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    from app.main import BODY_LIMIT, read_body

    sent = []

    async def receive() -> dict:
        sent.append("read")
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/predict",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(BODY_LIMIT + 1).encode()),
        ],
    }
    with pytest.raises(HTTPException) as refused:
        asyncio.run(read_body(Request(scope, receive)))
    assert refused.value.status_code == 413 and sent == []
