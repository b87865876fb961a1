"""POST /predict and /predict/batch: happy paths and every class of invalid input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Customer = dict[str, Any]


def error_locs(response: Any) -> list[list[Any]]:
    """The ``loc`` of every item of a 422 body (asserting FastAPI's shape on the way)."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert {"loc", "msg", "type"} <= set(item)
    return [item["loc"] for item in detail]


# --- happy paths ------------------------------------------------------------------------------


def test_predict_returns_a_prediction(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict", json=customer)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "customer_id", "churn", "churn_probability", "model_version"}
    assert isinstance(body["id"], int) and body["id"] >= 1
    assert body["customer_id"] == customer["customer_id"]
    assert 0.0 <= body["churn_probability"] <= 1.0
    assert body["churn"] is (body["churn_probability"] >= 0.5)


def test_predict_without_customer_id_echoes_null(client: TestClient, customer: Customer) -> None:
    del customer["customer_id"]
    assert client.post("/predict", json=customer).json()["customer_id"] is None


def test_predict_new_customer_with_null_total_charges(
    client: TestClient, customer: Customer
) -> None:
    customer.update(tenure=0, total_charges=None)
    response = client.post("/predict", json=customer)
    assert response.status_code == 200
    assert 0.0 <= response.json()["churn_probability"] <= 1.0


def test_predict_accepts_boundary_values(client: TestClient, customer: Customer) -> None:
    customer.update(tenure=120, monthly_charges=1000, total_charges=200_000)
    assert client.post("/predict", json=customer).status_code == 200
    customer.update(tenure=0, monthly_charges=0, total_charges=0)
    assert client.post("/predict", json=customer).status_code == 200


def test_predict_accepts_integral_floats_for_integers(
    client: TestClient, customer: Customer
) -> None:
    """JSON Schema (and so the contract) counts 34.0 as an integer."""
    customer.update(tenure=34.0, female=0.0)
    assert client.post("/predict", json=customer).status_code == 200


def test_predict_accepts_integer_charges(client: TestClient, customer: Customer) -> None:
    customer.update(monthly_charges=56, total_charges=1889)
    assert client.post("/predict", json=customer).status_code == 200


def test_batch_keeps_order_and_echoes_ids(client: TestClient, customer: Customer) -> None:
    contracts = ["Month-to-month", "Two year", "One year", "Month-to-month"]
    customers = [
        {**customer, "customer_id": f"c{i}", "contract": contract}
        for i, contract in enumerate(contracts)
    ]
    del customers[3]["customer_id"]
    response = client.post("/predict/batch", json={"customers": customers})
    assert response.status_code == 200
    body = response.json()
    assert [p["customer_id"] for p in body["predictions"]] == ["c0", "c1", "c2", None]
    singles = [client.post("/predict", json=c).json() for c in customers]
    for single, batched in zip(singles, body["predictions"], strict=True):
        assert batched.pop("id") != single.pop("id"), "every prediction is its own record"
        assert batched == single
    assert body["model_version"] == singles[0]["model_version"]


def test_batch_of_one_is_accepted(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": [customer]})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == 1


def test_batch_of_exactly_the_limit_is_accepted(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": [customer] * 1000})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == 1000


# --- validation errors: every class names the field in loc -----------------------------------


def _drop(field: str) -> Callable[[Customer], None]:
    return lambda c: c.pop(field)


def _set(field: str, value: Any) -> Callable[[Customer], None]:
    return lambda c: c.__setitem__(field, value)


INVALID: dict[str, tuple[Callable[[Customer], None], str, str]] = {
    # case id: (mutation, field expected in loc, pydantic error type)
    "missing field": (_drop("tenure"), "tenure", "missing"),
    "missing nullable field": (_drop("total_charges"), "total_charges", "missing"),
    "wrong type: string for int": (_set("tenure", "12"), "tenure", "int_type"),
    "wrong type: float for int": (_set("tenure", 12.5), "tenure", "int_type"),
    "wrong type: bool for flag": (_set("female", True), "female", "int_type"),
    "wrong type: string for number": (
        _set("monthly_charges", "56.95"),
        "monthly_charges",
        "float_type",
    ),
    "wrong type: number for category": (_set("contract", 1), "contract", "literal_error"),
    "out of range: negative tenure": (_set("tenure", -1), "tenure", "greater_than_equal"),
    "out of range: tenure too large": (_set("tenure", 121), "tenure", "less_than_equal"),
    "out of range: flag is 2": (_set("senior_citizen", 2), "senior_citizen", "less_than_equal"),
    "out of range: negative charges": (
        _set("monthly_charges", -0.01),
        "monthly_charges",
        "greater_than_equal",
    ),
    "out of range: total charges": (
        _set("total_charges", 200_000.5),
        "total_charges",
        "less_than_equal",
    ),
    "bad enum": (_set("contract", "Three year"), "contract", "literal_error"),
    "bad enum: wrong case": (_set("internet_service", "dsl"), "internet_service", "literal_error"),
    "null in non-nullable number": (
        _set("monthly_charges", None),
        "monthly_charges",
        "float_type",
    ),
    "null in non-nullable category": (
        _set("payment_method", None),
        "payment_method",
        "literal_error",
    ),
    "null customer_id": (_set("customer_id", None), "customer_id", "string_type"),
    "empty customer_id": (_set("customer_id", ""), "customer_id", "string_too_short"),
    "customer_id too long": (_set("customer_id", "x" * 65), "customer_id", "string_too_long"),
    "unknown field": (_set("customer_name", "Ada"), "customer_name", "extra_forbidden"),
}


@pytest.mark.parametrize("case", INVALID)
def test_predict_rejects_invalid_customer(
    client: TestClient, customer: Customer, case: str
) -> None:
    mutate, field, error_type = INVALID[case]
    mutate(customer)
    response = client.post("/predict", json=customer)
    assert error_locs(response) == [["body", field]]
    assert response.json()["detail"][0]["type"] == error_type


@pytest.mark.parametrize("case", ["missing field", "bad enum", "unknown field"])
def test_batch_error_names_the_customer_index_and_field(
    client: TestClient, customer: Customer, case: str
) -> None:
    mutate, field, error_type = INVALID[case]
    broken = dict(customer)
    mutate(broken)
    response = client.post("/predict/batch", json={"customers": [customer, customer, broken]})
    assert error_locs(response) == [["body", "customers", 2, field]]
    assert response.json()["detail"][0]["type"] == error_type


def test_every_missing_field_is_reported(client: TestClient) -> None:
    locs = error_locs(client.post("/predict", json={}))
    assert len(locs) == 19
    assert ["body", "tenure"] in locs


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422_not_500(
    client: TestClient, customer: Customer, token: str
) -> None:
    raw = json.dumps(customer).replace('"monthly_charges": 56.95', f'"monthly_charges": {token}')
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body", "monthly_charges"]]


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b'{"female": 1,', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_wrong_content_type(client: TestClient, customer: Customer) -> None:
    response = client.post(
        "/predict", content=json.dumps(customer), headers={"content-type": "text/plain"}
    )
    assert error_locs(response) == [["body"]]


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b'"text"', b"42"])
def test_body_that_is_not_an_object(client: TestClient, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body"]]


def test_lone_surrogate_is_422_naming_the_field(client: TestClient, customer: Customer) -> None:
    # A lone surrogate is not valid Unicode: pydantic's strict str rejects it (and it is never
    # echoed back, since it cannot be encoded).
    raw = json.dumps(customer).replace('"5575-GNVDE"', '"\\ud800"')
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body", "customer_id"]]
    assert response.json()["detail"][0]["type"] == "string_unicode"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"tenure": "\xff"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # too deep for the JSON parser
        b'{"tenure": ' + b"9" * 5000 + b"}",  # integer longer than Python will convert
    ],
    ids=["invalid utf-8", "deeply nested", "5000-digit integer"],
)
def test_unparseable_body_is_422_json_invalid(client: TestClient, raw: bytes) -> None:
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body"]]
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_deep_json_is_422(client: TestClient) -> None:
    # Nested deeper than any customer: rejected as an object of the wrong shape, never a 5xx.
    raw = '{"a":' * 900 + "1" + "}" * 900
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    locs = error_locs(response)
    assert ["body", "a"] in locs and ["body", "tenure"] in locs


def test_huge_integer_is_out_of_range(client: TestClient, customer: Customer) -> None:
    raw = json.dumps(customer).replace('"tenure": 34', f'"tenure": {"9" * 400}')
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body", "tenure"]]


def test_wrong_methods(client: TestClient) -> None:
    assert client.get("/predict").status_code == 405
    assert client.put("/predict/batch", json={}).status_code == 405
    assert client.delete("/model").status_code == 405


# --- batch limits -----------------------------------------------------------------------------


def test_empty_batch_is_422(client: TestClient) -> None:
    response = client.post("/predict/batch", json={"customers": []})
    assert error_locs(response) == [["body", "customers"]]
    assert response.json()["detail"][0]["type"] == "too_short"


def test_batch_over_the_limit_is_422(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": [customer] * 1001})
    assert error_locs(response) == [["body", "customers"]]
    assert response.json()["detail"][0]["type"] == "too_long"


def test_batch_without_customers_key(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customer": [customer]})
    assert sorted(error_locs(response)) == [["body", "customer"], ["body", "customers"]]


def test_batch_customers_not_a_list(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": customer})
    assert error_locs(response) == [["body", "customers"]]


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post(
        "/predict/batch",
        content=b" " * (4 * 1024 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "detail" in response.json()


def test_oversized_streamed_body_is_413(client: TestClient) -> None:
    def chunks():
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = client.post(
        "/predict/batch", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


# --- storage: every answer is a stored record, rejected requests store nothing ----------------


def test_predict_stores_what_it_answered(
    client: TestClient, customer: Customer, count_rows: Callable[[], int]
) -> None:
    body = client.post("/predict", json=customer).json()
    assert count_rows() == 1
    record = client.get(f"/predictions/{body['id']}").json()
    features = {k: v for k, v in customer.items() if k != "customer_id"}
    assert record["features"] == features
    assert record["customer_id"] == customer["customer_id"]
    for key in ("churn", "churn_probability", "model_version"):
        assert record[key] == body[key]


def test_batch_stores_every_customer_with_ids_in_request_order(
    client: TestClient, customer: Customer, count_rows: Callable[[], int]
) -> None:
    customers = [{**customer, "customer_id": f"b{i}", "tenure": i} for i in range(5)]
    predictions = client.post("/predict/batch", json={"customers": customers}).json()["predictions"]
    ids = [p["id"] for p in predictions]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert count_rows() == 5
    for prediction, sent in zip(predictions, customers, strict=True):
        stored = client.get(f"/predictions/{prediction['id']}").json()
        assert stored["customer_id"] == sent["customer_id"]
        assert stored["features"]["tenure"] == sent["tenure"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/predict", {"tenure": 1}),
        ("/predict/batch", {"customers": []}),
        ("/predict/batch", "one good, one bad"),
        ("/predict/batch", "1001 customers"),
    ],
    ids=["invalid customer", "empty batch", "one bad customer in a batch", "batch over the limit"],
)
def test_rejected_requests_store_nothing(
    client: TestClient,
    customer: Customer,
    count_rows: Callable[[], int],
    path: str,
    body: Any,
) -> None:
    if body == "one good, one bad":
        body = {"customers": [customer, {**customer, "contract": "Forever"}]}
    elif body == "1001 customers":
        body = {"customers": [customer] * 1001}
    assert client.post(path, json=body).status_code == 422
    assert count_rows() == 0


def test_oversized_body_stores_nothing(client: TestClient, count_rows: Callable[[], int]) -> None:
    response = client.post(
        "/predict/batch",
        content=b" " * (4 * 1024 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert count_rows() == 0


def test_a_full_batch_is_stored(
    client: TestClient, customer: Customer, count_rows: Callable[[], int]
) -> None:
    response = client.post("/predict/batch", json={"customers": [customer] * 1000})
    assert response.status_code == 200
    assert count_rows() == 1000
