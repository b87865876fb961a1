"""Validation kept from hw1: FastAPI's error shapes, inclusive bounds, the model's defaults."""

from __future__ import annotations

import json

import pytest

from app.model import MODEL_PATH, ChurnModel
from app.settings import Settings
from app.validation import _expected


@pytest.mark.parametrize(
    ("field", "value", "kind", "message"),
    [
        ("tenure", -1, "greater_than_equal", "Input should be greater than or equal to 0"),
        ("tenure", 121, "less_than_equal", "Input should be less than or equal to 120"),
        (
            "monthly_charges",
            1000.5,
            "less_than_equal",
            "Input should be less than or equal to 1000",
        ),
        ("contract", "Weekly", "literal_error", None),
        ("senior_citizen", 2, "literal_error", "Input should be 0 or 1"),
        ("customer_id", "", "string_too_short", "String should have at least 1 character"),
        ("customer_id", "x" * 65, "string_too_long", "String should have at most 64 characters"),
        ("tenure", "12", "int_type", "Input should be a valid integer"),
    ],
)
def test_bad_values_are_named_like_fastapi(client, customer, field, value, kind, message) -> None:
    reply = client.post("/predict", json=dict(customer, **{field: value}))
    assert reply.status_code == 422
    [item] = reply.get_json()["detail"]
    assert (item["loc"], item["type"]) == (["body", field], kind)
    if message is not None:
        assert item["msg"] == message


@pytest.mark.parametrize(
    ("field", "value"),
    [("tenure", 120), ("tenure", 0), ("monthly_charges", 1000), ("customer_id", "x" * 64)],
)
def test_bounds_are_inclusive(client, customer, field, value) -> None:
    assert client.post("/predict", json=dict(customer, **{field: value})).status_code == 200


def test_an_empty_body_is_a_missing_body(client, rows) -> None:
    reply = client.post("/predict", data=b"", content_type="application/json")
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["type"] == "missing" and rows() == 0


def test_a_batch_above_the_limit_is_422(client, customer, rows) -> None:
    reply = client.post("/predict/batch", json={"customers": [customer] * 1001})
    assert reply.status_code == 422 and rows() == 0
    assert client.post("/predict/batch", json={"customers": [customer] * 1000}).status_code == 200


def test_not_json_is_422(client) -> None:
    reply = client.post("/predict", data=b'{"tenure": NaN}', content_type="application/json")
    assert reply.status_code == 422
    assert json.loads(reply.data)["detail"][0]["type"] == "json_invalid"


def test_defaults_of_the_model_and_the_settings() -> None:
    assert ChurnModel.load().threshold == 0.5
    raw = json.loads(MODEL_PATH.read_text())
    raw.pop("threshold")
    assert ChurnModel(raw).threshold == 0.5
    assert Settings(database_url="postgresql+psycopg://h/db").migrate_on_start is True
    tuned = Settings.from_env(
        {"DATABASE_URL": "postgresql://h/db", "CHURN_DB_POOL_TIMEOUT_S": "0.15"}
    )
    assert tuned.pool_timeout_s == 0.15
    assert _expected(["a"]) == "'a'" and _expected([0, 1]) == "0 or 1"


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("tenure", 1.5, "int_from_float"),
        ("monthly_charges", "5", "float_type"),
        ("monthly_charges", True, "float_type"),
        ("customer_id", 5, "string_type"),
        ("contract", 5, "literal_error"),
        ("tenure", 10**400, "less_than_equal"),
    ],
)
def test_wrong_types_are_named(client, customer, rows, field, value, kind) -> None:
    reply = client.post("/predict", json=dict(customer, **{field: value}))
    assert reply.status_code == 422
    assert [(i["loc"], i["type"]) for i in reply.get_json()["detail"]] == [(["body", field], kind)]
    assert rows() == 0


def test_a_whole_number_float_is_an_integer(client, customer) -> None:
    assert client.post("/predict", json=dict(customer, tenure=12.0)).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "loc", "kind"),
    [
        ("/predict", [1, 2], ["body"], "model_attributes_type"),
        ("/predict/batch", [1], ["body"], "model_attributes_type"),
        ("/predict/batch", {}, ["body", "customers"], "missing"),
        ("/predict/batch", {"customers": "all"}, ["body", "customers"], "list_type"),
        ("/predict/batch", {"customers": []}, ["body", "customers"], "too_short"),
        ("/predict/batch", {"customers": [7]}, ["body", "customers", 0], "model_attributes_type"),
    ],
)
def test_malformed_bodies_are_422(client, rows, path, body, loc, kind) -> None:
    reply = client.post(path, json=body)
    assert reply.status_code == 422
    first = reply.get_json()["detail"][0]
    assert (first["loc"], first["type"]) == (loc, kind)
    assert rows() == 0


def test_an_unknown_key_next_to_the_customers_is_rejected(client, customer, rows) -> None:
    reply = client.post("/predict/batch", json={"customers": [customer], "dry_run": True})
    assert reply.status_code == 422
    assert reply.get_json()["detail"][-1]["loc"] == ["body", "dry_run"]
    assert rows() == 0


@pytest.mark.parametrize(
    ("data", "content_type", "kind"),
    [
        (b"tenure=1", "application/x-www-form-urlencoded", "model_attributes_type"),
        (b"\xff\xfe{}", "application/json", "json_invalid"),
        (b"[" * 100_000, "application/json", "json_invalid"),
        (b'{"monthly_charges": 1e999}', "application/json", "json_invalid"),
    ],
)
def test_bodies_that_are_not_json_objects(client, data, content_type, kind) -> None:
    reply = client.post("/predict", data=data, content_type=content_type)
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["type"] == kind
