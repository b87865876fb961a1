"""Predictions are stored as answered, read back by id and in pages; rejected requests store nothing."""

from __future__ import annotations

import json

import pytest


def test_predict_stores_what_it_answers(client, customer, rows) -> None:
    answer = client.post("/predict", json=customer).get_json()
    assert answer["id"] == 1 and rows() == 1
    record = client.get(f"/predictions/{answer['id']}").get_json()
    for key in ("customer_id", "churn", "churn_probability", "model_version"):
        assert record[key] == answer[key]
    del customer["customer_id"]
    assert record["features"] == customer
    assert record["created_at"].endswith("+00:00")


def test_the_spec_example_is_a_churner(client, customer) -> None:
    answer = client.post("/predict", json=customer).get_json()
    assert answer["churn"] is True
    assert answer["churn_probability"] == pytest.approx(0.646, abs=1e-3)


def test_missing_id_is_stored_as_null(client, customer) -> None:
    del customer["customer_id"]
    customer.update(tenure=0, total_charges=None)
    answer = client.post("/predict", json=customer).get_json()
    record = client.get(f"/predictions/{answer['id']}").get_json()
    assert answer["customer_id"] is None and record["customer_id"] is None
    assert record["features"]["total_charges"] is None


def test_batch_is_stored_in_order(client, customer, rows) -> None:
    loyal = dict(customer, customer_id="loyal", contract="Two year", tenure=60)
    reply = client.post("/predict/batch", json={"customers": [customer, loyal]})
    assert reply.status_code == 200
    predictions = reply.get_json()["predictions"]
    assert [p["customer_id"] for p in predictions] == ["7590-VHVEG", "loyal"]
    assert [p["id"] for p in predictions] == [1, 2] and rows() == 2
    assert predictions[0]["churn_probability"] > predictions[1]["churn_probability"]


def test_a_batch_with_one_bad_customer_stores_nothing(client, customer, rows) -> None:
    bad = dict(customer, tenure=-1)
    reply = client.post("/predict/batch", json={"customers": [customer, bad]})
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["loc"] == ["body", "customers", 1, "tenure"]
    assert rows() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [({"tenure": "x"}, "tenure"), ({"colour": "teal"}, "colour"), ({"contract": None}, "contract")],
)
def test_rejected_predictions_store_nothing(client, customer, rows, change, field) -> None:
    reply = client.post("/predict", json=customer | change)
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["loc"] == ["body", field]
    assert rows() == 0


def test_pages_are_newest_first_and_do_not_overlap(client, customer) -> None:
    ids = [client.post("/predict", json=customer).get_json()["id"] for _ in range(5)]
    first = client.get("/predictions?limit=2").get_json()
    second = client.get("/predictions?limit=2&offset=2").get_json()
    last = client.get("/predictions?limit=2&offset=4").get_json()
    listed = [item["id"] for page in (first, second, last) for item in page["items"]]
    assert listed == ids[::-1]
    assert (first["limit"], second["offset"], len(last["items"])) == (2, 2, 1)
    default = client.get("/predictions").get_json()
    assert (default["limit"], default["offset"], len(default["items"])) == (50, 0, 5)


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")],
)
def test_page_limits_name_the_parameter(client, query, field) -> None:
    reply = client.get(f"/predictions?{query}")
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["loc"] == ["query", field]


def test_the_largest_page_is_allowed(client) -> None:
    assert client.get("/predictions?limit=100&offset=0").status_code == 200


@pytest.mark.parametrize("record_id", ["1", "0", "-5", "9223372036854775808"])
def test_ids_without_a_record_are_404(client, record_id) -> None:
    reply = client.get(f"/predictions/{record_id}")
    assert reply.status_code == 404
    assert "detail" in reply.get_json()


def test_a_non_integer_id_is_422(client) -> None:
    reply = client.get("/predictions/abc")
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["loc"] == ["path", "id"]


def test_a_lone_surrogate_is_422_not_500(client, customer, rows) -> None:
    body = '{"customer_id": "\\ud800", ' + json.dumps(customer)[1:].split(", ", 1)[1]
    reply = client.post("/predict", data=body, content_type="application/json")
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["loc"] == ["body", "customer_id"]
    assert rows() == 0


def test_an_id_with_a_nul_character_is_422(client, customer, rows) -> None:
    reply = client.post("/predict", json=dict(customer, customer_id="клиент-✓-\u0000"))
    assert reply.status_code == 422
    assert reply.get_json()["detail"][0]["loc"] == ["body", "customer_id"]
    assert client.post("/predict", json=dict(customer, customer_id="клиент-✓")).status_code == 200
    assert rows() == 1
