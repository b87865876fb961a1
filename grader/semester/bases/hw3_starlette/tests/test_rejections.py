"""Invalid bodies get 422 naming the field; hostile ones never a 5xx."""

from __future__ import annotations

import pytest

CHANGES = [
    ("tenure", "twelve"),
    ("tenure", 12.5),
    ("tenure", -1),
    ("tenure", 121),
    ("tenure", None),
    ("female", True),
    ("senior_citizen", 2),
    ("monthly_charges", -0.01),
    ("monthly_charges", 1000.01),
    ("total_charges", -1),
    ("total_charges", 200000.5),
    ("contract", "Three year"),
    ("payment_method", None),
    ("customer_id", None),
    ("customer_id", ""),
    ("customer_id", "x" * 65),
]


@pytest.mark.parametrize(("field", "value"), CHANGES)
def test_bad_value_is_named(http, sample, field, value) -> None:
    sample[field] = value
    reply = http.post("/predict", json=sample)
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tenure", 0),
        ("tenure", 120),
        ("monthly_charges", 0),
        ("monthly_charges", 1000),
        ("total_charges", 200000),
        ("customer_id", "x" * 64),
    ],
)
def test_bounds_are_inclusive(http, sample, field, value) -> None:
    sample[field] = value
    assert http.post("/predict", json=sample).status_code == 200


def test_missing_and_unknown_fields(http, sample) -> None:
    del sample["total_charges"]
    missing = http.post("/predict", json=sample)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "total_charges"]
    sample["total_charges"] = 1.0
    sample["tenur"] = 3
    extra = http.post("/predict", json=sample)
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "tenur"]


def test_bad_customer_inside_a_batch_names_its_index(http, sample) -> None:
    broken = {**sample, "tenure": "x"}
    reply = http.post("/predict/batch", json={"customers": [sample, broken]})
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "customers", 1, "tenure"]


def test_batch_envelope_problems(http, sample) -> None:
    assert http.post("/predict/batch", json={"items": [sample]}).json()["detail"][0]["loc"] == [
        "body",
        "customers",
    ]
    listed = http.post("/predict/batch", json=[sample])
    assert listed.status_code == 422
    assert listed.json()["detail"] == [
        {"loc": ["body"], "msg": "Expected an object", "type": "dict_type"}
    ]
    extra = http.post("/predict/batch", json={"customers": [sample], "more": 1})
    assert extra.status_code == 422


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"tenure": 5,', "application/json"),
        (b'{"tenure": NaN}', "application/json"),
        (b"[" * 50_000, "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b"{}", "text/plain"),
    ],
)
def test_hostile_bodies_are_4xx(http, body, content_type) -> None:
    reply = http.post("/predict", content=body, headers={"content-type": content_type})
    assert 400 <= reply.status_code < 500
    assert http.get("/health").status_code == 200


def test_oversized_body_is_413(http) -> None:
    reply = http.post(
        "/predict/batch",
        content=b" " * (5 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 413


def test_a_non_json_media_type_is_415(http, sample) -> None:
    reply = http.post("/predict", content=b"{}", headers={"content-type": "text/plain"})
    assert reply.status_code == 415
    assert reply.json() == {"detail": "Send the body as application/json"}


def test_a_declared_length_above_the_limit_is_refused_unread(http) -> None:
    from app.main import BODY_LIMIT

    at_limit = http.post(
        "/predict", content=b" " * BODY_LIMIT, headers={"content-type": "application/json"}
    )
    assert at_limit.status_code == 422  # read, then rejected as not JSON
    over = http.post(
        "/predict", content=b" " * (BODY_LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert over.status_code == 413
