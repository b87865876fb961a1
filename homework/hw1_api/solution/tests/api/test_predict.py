"""POST /predict and /predict/batch: happy paths and every class of invalid input."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

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
    assert set(body) == {"customer_id", "churn", "churn_probability", "model_version"}
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
        assert batched == single
    assert body["model_version"] == singles[0]["model_version"]


def test_batch_of_one_is_accepted(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": [customer]})
    assert response.status_code == 200
    assert response.json()["predictions"] == [client.post("/predict", json=customer).json()]


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
    "out of range: flag is -1": (_set("partner", -1), "partner", "greater_than_equal"),
    "out of range: negative charges": (
        _set("monthly_charges", -0.01),
        "monthly_charges",
        "greater_than_equal",
    ),
    "out of range: monthly charges too large": (
        _set("monthly_charges", 1000.01),
        "monthly_charges",
        "less_than_equal",
    ),
    "out of range: negative total charges": (
        _set("total_charges", -0.01),
        "total_charges",
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


@pytest.mark.parametrize("field", ["monthly_charges", "total_charges"])
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422_not_500(
    client: TestClient, customer: Customer, token: str, field: str
) -> None:
    customer[field] = 12.5
    raw = json.dumps(customer).replace(f'"{field}": 12.5', f'"{field}": {token}')
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body", field]]
    assert response.json()["detail"][0]["type"] == "finite_number"
    assert "input" not in response.json()["detail"][0]  # JSON cannot carry the echo


def test_encodable_echo_is_kept(client: TestClient, customer: Customer) -> None:
    """Only unencodable echoes are dropped: otherwise the 422 is exactly FastAPI's."""
    customer["tenure"] = -1
    error = client.post("/predict", json=customer).json()["detail"][0]
    assert error["input"] == -1
    assert error["ctx"] == {"ge": 0}


def test_malformed_json_is_422_json_invalid(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b'{"female": 1,', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["type"] == "json_invalid"
    assert error["loc"] == ["body", 13]  # FastAPI puts the character offset of the error in loc


def test_wrong_content_type(client: TestClient, customer: Customer) -> None:
    # Not parsed as JSON, so the body is a string, not an object with fields.
    response = client.post(
        "/predict", content=json.dumps(customer), headers={"content-type": "text/plain"}
    )
    assert error_locs(response) == [["body"]]
    assert response.json()["detail"][0]["type"] == "model_attributes_type"


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b'"text"', b"42"])
def test_body_that_is_not_an_object(client: TestClient, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body"]]


def test_lone_surrogate_is_422_without_echo(client: TestClient, customer: Customer) -> None:
    # Python's JSON parser keeps "\ud800" as a lone surrogate, pydantic rejects it, and the echo
    # of that string could not be encoded as UTF-8: app.errors answers without the echo.
    raw = json.dumps(customer).replace('"5575-GNVDE"', '"\\ud800"')
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert error_locs(response) == [["body", "customer_id"]]
    assert "input" not in response.json()["detail"][0]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"tenure": "\xff"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # too deep for the JSON parser
        b'{"tenure": ' + b"9" * 5000 + b"}",  # integer longer than Python will convert
    ],
    ids=["invalid utf-8", "deeply nested", "5000-digit integer"],
)
def test_unparseable_body_is_a_client_error(client: TestClient, raw: bytes) -> None:
    """FastAPI answers these with a bare 400; the contract allows any 4xx for non-JSON bodies."""
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


def test_deep_but_parseable_json_is_422(client: TestClient) -> None:
    raw = '{"a":' * 900 + "1" + "}" * 900
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert ["body", "a"] in error_locs(response)


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


def test_batch_with_an_unknown_key(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": [customer], "limit": 3})
    assert error_locs(response) == [["body", "limit"]]
    assert response.json()["detail"][0]["type"] == "extra_forbidden"


def test_batch_customers_not_a_list(client: TestClient, customer: Customer) -> None:
    response = client.post("/predict/batch", json={"customers": customer})
    assert error_locs(response) == [["body", "customers"]]


def test_oversized_body_is_413(client: TestClient) -> None:
    # The declared length is over the limit: refused before the body is read. Starlette answers
    # this one itself, with a plain-text body.
    response = client.post(
        "/predict/batch",
        content=b" " * (4 * 1024 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_oversized_streamed_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = client.post(
        "/predict/batch", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Content Too Large"}


def test_body_limit_comes_from_the_settings(customer: Customer) -> None:
    app = create_app(Settings(max_body_bytes=1024))
    with TestClient(app) as small:
        assert small.post("/predict", json=customer).status_code == 200  # ~500 bytes
        response = small.post("/predict/batch", json={"customers": [customer] * 4})
        assert response.status_code == 413
