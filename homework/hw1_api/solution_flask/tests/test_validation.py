"""Every class of invalid input gets 422 in FastAPI's shape, with the offending field in loc."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import CONTRACT, assert_conforms

PROPERTIES = CONTRACT["$defs"]["Customer"]["properties"]


def post_raw(client, path: str, raw: bytes, content_type: str | None = "application/json"):
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post(path, data=raw, headers=headers)


def detail(response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert_conforms("ValidationError", body)
    return body["detail"]


# (field, bad value, expected pydantic error type)
FIELD_CASES = [
    ("tenure", "twelve", "int_type"),
    ("tenure", "12", "int_type"),  # JSON Schema is strict: a string is not an integer
    ("tenure", True, "int_type"),
    ("tenure", 12.5, "int_from_float"),
    ("tenure", -1, "greater_than_equal"),
    ("tenure", 121, "less_than_equal"),
    ("tenure", None, "int_type"),
    ("senior_citizen", 2, "literal_error"),
    ("senior_citizen", True, "literal_error"),
    ("monthly_charges", "a lot", "float_type"),
    ("monthly_charges", -5.0, "greater_than_equal"),
    ("monthly_charges", 1000.01, "less_than_equal"),
    ("total_charges", -1, "greater_than_equal"),
    ("total_charges", "0", "float_type"),
    ("contract", "Weekly", "literal_error"),
    ("contract", 2, "literal_error"),
    ("internet_service", "5G", "literal_error"),
    ("payment_method", None, "literal_error"),
    ("customer_id", 12345, "string_type"),
    ("customer_id", "", "string_too_short"),
    ("customer_id", "x" * 65, "string_too_long"),
    ("customer_id", None, "string_type"),
]


@pytest.mark.parametrize(("field", "value", "kind"), FIELD_CASES)
def test_bad_field_value(client, customer, field: str, value: Any, kind: str) -> None:
    customer[field] = value
    errors = detail(client.post("/predict", json=customer))
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", field], kind)]


@pytest.mark.parametrize("field", ["tenure", "contract", "total_charges", "female"])
def test_missing_required_field(client, customer, field: str) -> None:
    del customer[field]
    errors = detail(client.post("/predict", json=customer))
    assert [(e["loc"], e["type"], e["msg"]) for e in errors] == [
        (["body", field], "missing", "Field required")
    ]


def test_unknown_field(client, customer) -> None:
    customer["tenur"] = 5
    errors = detail(client.post("/predict", json=customer))
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "tenur"], "extra_forbidden")]


def test_one_item_per_offending_field(client, customer) -> None:
    customer.update(tenure=-1, contract="Weekly", monthly_charges="x", extra=1)
    del customer["female"]
    errors = detail(client.post("/predict", json=customer))
    assert [e["loc"][-1] for e in errors] == [
        "female",
        "tenure",
        "contract",
        "monthly_charges",
        "extra",
    ]


def test_messages_match_pydantic(client, customer) -> None:
    customer.update(tenure=-1, contract="Weekly")
    errors = detail(client.post("/predict", json=customer))
    assert errors[0]["msg"] == "Input should be greater than or equal to 0"
    assert errors[0]["ctx"] == {"ge": 0}
    assert errors[1]["msg"] == "Input should be 'Month-to-month', 'One year' or 'Two year'"


def test_flag_message_lists_both_values(client, customer) -> None:
    customer["senior_citizen"] = 2
    [error] = detail(client.post("/predict", json=customer))
    assert error["msg"] == "Input should be 0 or 1"
    assert error["ctx"] == {"expected": "0 or 1"}


@pytest.mark.parametrize(
    ("value", "kind", "msg", "ctx"),
    [
        ("", "string_too_short", "String should have at least 1 character", {"min_length": 1}),
        (
            "x" * 65,
            "string_too_long",
            "String should have at most 64 characters",
            {"max_length": 64},
        ),
    ],
)
def test_length_messages_match_pydantic(client, customer, value, kind, msg, ctx) -> None:
    customer["customer_id"] = value
    [error] = detail(client.post("/predict", json=customer))
    assert (error["type"], error["msg"], error["ctx"]) == (kind, msg, ctx)


def _bounds() -> list[tuple[str, str, Any]]:
    """(field, keyword, bound) for every minimum/maximum/minLength/maxLength of the contract."""
    keywords = ("minimum", "maximum", "minLength", "maxLength")
    return [(f, k, spec[k]) for f, spec in PROPERTIES.items() for k in keywords if k in spec]


def _at_and_beyond(field: str, keyword: str, bound: Any) -> tuple[Any, Any]:
    """A value exactly at the bound, and one just outside it."""
    if keyword in ("minLength", "maxLength"):
        outside = bound - 1 if keyword == "minLength" else bound + 1
        return "x" * bound, "x" * outside
    types = PROPERTIES[field]["type"]
    step = 1 if "integer" in types else 0.01
    return bound, bound - step if keyword == "minimum" else bound + step


BOUND_ERRORS = {
    "minimum": "greater_than_equal",
    "maximum": "less_than_equal",
    "minLength": "string_too_short",
    "maxLength": "string_too_long",
}


@pytest.mark.parametrize(("field", "keyword", "bound"), _bounds())
def test_every_contract_bound_is_inclusive(client, customer, field, keyword, bound) -> None:
    at, beyond = _at_and_beyond(field, keyword, bound)
    response = client.post("/predict", json=dict(customer, **{field: at}))
    assert response.status_code == 200, response.get_data(as_text=True)
    errors = detail(client.post("/predict", json=dict(customer, **{field: beyond})))
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", field], BOUND_ERRORS[keyword])]


def test_every_bound_is_tested() -> None:
    fields = {field for field, _, _ in _bounds()}
    assert fields == {"customer_id", "tenure", "monthly_charges", "total_charges"}


def test_nullable_total_charges_is_accepted(client, customer) -> None:
    customer.update(tenure=0, total_charges=None)
    assert client.post("/predict", json=customer).status_code == 200


def test_integral_float_is_an_integer(client, customer) -> None:
    # JSON Schema: 34.0 is an integer. The prediction equals the one for 34.
    expected = client.post("/predict", json=customer).get_json()
    customer["tenure"] = 34.0
    assert client.post("/predict", json=customer).get_json() == expected


@pytest.mark.parametrize(
    ("raw", "content_type", "loc", "kind"),
    [
        (b'{"tenure": 5,', "application/json", ["body", 13], "json_invalid"),
        (b"", "application/json", ["body"], "missing"),
        (b"null", "application/json", ["body"], "model_attributes_type"),
        (b"[1, 2]", "application/json", ["body"], "model_attributes_type"),
        (b'"text"', "application/json", ["body"], "model_attributes_type"),
        (b'{"tenure": NaN}', "application/json", ["body", 0], "json_invalid"),
        (b'{"tenure": Infinity}', "application/json", ["body", 0], "json_invalid"),
        (b'{"monthly_charges": 1e400}', "application/json", ["body", 0], "json_invalid"),
        (b"\xff\xfe\x00garbage", "application/json", ["body", 0], "json_invalid"),
        (b"[" * 50_000, "application/json", ["body", 0], "json_invalid"),
        (b'{"tenure": 5}', "text/plain", ["body"], "model_attributes_type"),
        (b"a=1&b=2", "application/x-www-form-urlencoded", ["body"], "model_attributes_type"),
    ],
)
def test_unparseable_body(client, raw: bytes, content_type: str, loc: list, kind: str) -> None:
    errors = detail(post_raw(client, "/predict", raw, content_type))
    assert (errors[0]["loc"], errors[0]["type"]) == (loc, kind)


def test_non_json_body_echo_is_cut_at_200_characters(client) -> None:
    errors = detail(post_raw(client, "/predict", b"abc" * 100, "text/plain"))
    assert errors[0]["input"] == ("abc" * 100)[:200]


def test_missing_content_type_is_read_as_json(client, customer) -> None:
    response = post_raw(client, "/predict", json.dumps(customer).encode(), content_type=None)
    assert response.status_code == 200


def test_json_content_type_with_charset(client, customer) -> None:
    raw = json.dumps(customer).encode()
    response = post_raw(client, "/predict", raw, "application/json; charset=utf-8")
    assert response.status_code == 200


def test_batch_item_error_location(client, customer) -> None:
    customers = [dict(customer) for _ in range(5)]
    customers[3]["tenure"] = "x"
    customers[1] = 7
    errors = detail(client.post("/predict/batch", json={"customers": customers}))
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "customers", 1], "model_attributes_type"),
        (["body", "customers", 3, "tenure"], "int_type"),
    ]


def test_batch_of_one_is_accepted(client, customer) -> None:
    response = client.post("/predict/batch", json={"customers": [customer]})
    assert response.status_code == 200
    assert response.get_json()["predictions"] == [client.post("/predict", json=customer).get_json()]


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({}, ["body", "customers"], "missing"),
        ({"customers": []}, ["body", "customers"], "too_short"),
        ({"customers": "all"}, ["body", "customers"], "list_type"),
        ({"customers": None}, ["body", "customers"], "list_type"),
        ([], ["body"], "model_attributes_type"),
    ],
)
def test_bad_batch_body(client, body: Any, loc: list, kind: str) -> None:
    errors = detail(client.post("/predict/batch", json=body))
    assert (errors[0]["loc"], errors[0]["type"]) == (loc, kind)


def test_batch_extra_key(client, customer) -> None:
    errors = detail(client.post("/predict/batch", json={"customers": [customer], "limit": 3}))
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "limit"], "extra_forbidden")]


def test_error_bodies_are_strict_json(client, customer) -> None:
    # A non-finite value can never be echoed back: it is refused while parsing.
    customer["monthly_charges"] = 10**400
    response = client.post("/predict", data=json.dumps(customer), content_type="application/json")
    errors = detail(response)
    assert errors[0]["loc"] == ["body", "monthly_charges"]
    json.loads(response.get_data(as_text=True), parse_constant=pytest.fail)
