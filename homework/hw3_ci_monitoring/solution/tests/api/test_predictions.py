"""GET /predictions (pagination, order, limits) and GET /predictions/{id} (found, 404, 422)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

Customer = dict[str, Any]


def store(client: TestClient, customer: Customer, n: int, prefix: str = "c") -> list[int]:
    """Store ``n`` predictions one request at a time (distinct created_at); their ids."""
    ids = []
    for i in range(n):
        response = client.post("/predict", json={**customer, "customer_id": f"{prefix}{i}"})
        assert response.status_code == 200
        ids.append(response.json()["id"])
    return ids


def page(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/predictions", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_empty_database_gives_an_empty_page(client: TestClient) -> None:
    assert page(client) == {"items": [], "limit": 50, "offset": 0}


def test_empty_database_gives_404_for_any_id(client: TestClient) -> None:
    assert client.get("/predictions/1").status_code == 404


def test_newest_first(client: TestClient, customer: Customer) -> None:
    ids = store(client, customer, 3)
    items = page(client)["items"]
    assert [item["id"] for item in items] == ids[::-1]
    created = [item["created_at"] for item in items]
    assert created == sorted(created, reverse=True)


def test_batch_rows_share_a_timestamp_and_are_ordered_by_id(
    client: TestClient, customer: Customer
) -> None:
    """A batch is one transaction, so its rows share created_at: the id breaks the tie."""
    customers = [{**customer, "customer_id": f"b{i}"} for i in range(4)]
    ids = [
        p["id"]
        for p in client.post("/predict/batch", json={"customers": customers}).json()["predictions"]
    ]
    items = page(client)["items"]
    assert len({item["created_at"] for item in items}) == 1
    assert [item["id"] for item in items] == sorted(ids, reverse=True)


def test_default_page_size_is_50(client: TestClient, customer: Customer) -> None:
    client.post("/predict/batch", json={"customers": [customer] * 60})
    body = page(client)
    assert body["limit"] == 50 and len(body["items"]) == 50


def test_pages_neither_repeat_nor_skip_a_record(client: TestClient, customer: Customer) -> None:
    ids = store(client, customer, 4, prefix="single")
    batch = client.post("/predict/batch", json={"customers": [customer] * 7}).json()
    ids += [p["id"] for p in batch["predictions"]]
    seen: list[int] = []
    for offset in range(0, 12, 3):
        items = page(client, limit=3, offset=offset)["items"]
        seen += [item["id"] for item in items]
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 11
    assert seen == [item["id"] for item in page(client, limit=100)["items"]]


@pytest.mark.parametrize(("limit", "expected"), [(1, 1), (2, 2), (100, 5)])
def test_limit_bounds_the_page(
    client: TestClient, customer: Customer, limit: int, expected: int
) -> None:
    client.post("/predict/batch", json={"customers": [customer] * 5})
    body = page(client, limit=limit)
    assert len(body["items"]) == expected and body["limit"] == limit


def test_offset_past_the_end_is_an_empty_page(client: TestClient, customer: Customer) -> None:
    store(client, customer, 2)
    assert page(client, offset=2)["items"] == []
    assert page(client, offset=10**6)["items"] == []
    assert [item["customer_id"] for item in page(client, offset=1)["items"]] == ["c0"]


@pytest.mark.parametrize(
    ("params", "field", "error_type"),
    [
        ({"limit": 0}, "limit", "greater_than_equal"),
        ({"limit": 101}, "limit", "less_than_equal"),
        ({"limit": -5}, "limit", "greater_than_equal"),
        ({"limit": "ten"}, "limit", "int_parsing"),
        ({"limit": 2.5}, "limit", "int_parsing"),
        ({"offset": -1}, "offset", "greater_than_equal"),
        ({"offset": "x"}, "offset", "int_parsing"),
    ],
)
def test_bad_paging_parameters_are_422(
    client: TestClient, params: dict[str, Any], field: str, error_type: str
) -> None:
    response = client.get("/predictions", params=params)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert error["type"] == error_type


def test_get_one_prediction(client: TestClient, customer: Customer) -> None:
    [record_id] = store(client, customer, 1)
    response = client.get(f"/predictions/{record_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == record_id
    assert set(body) == {
        "id",
        "created_at",
        "customer_id",
        "features",
        "churn",
        "churn_probability",
        "model_version",
    }
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_customer_without_id_is_stored_with_null(client: TestClient, customer: Customer) -> None:
    del customer["customer_id"]
    record_id = client.post("/predict", json=customer).json()["id"]
    assert client.get(f"/predictions/{record_id}").json()["customer_id"] is None


def test_null_total_charges_is_stored_as_null(client: TestClient, customer: Customer) -> None:
    customer.update(tenure=0, total_charges=None)
    record_id = client.post("/predict", json=customer).json()["id"]
    assert client.get(f"/predictions/{record_id}").json()["features"]["total_charges"] is None


@pytest.mark.parametrize("record_id", ["0", "-1", "999999", "9223372036854775807", "1" + "0" * 30])
def test_absent_ids_are_404(client: TestClient, customer: Customer, record_id: str) -> None:
    store(client, customer, 1)
    response = client.get(f"/predictions/{record_id}")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("record_id", ["abc", "1.5", "1e3", "%20"])
def test_ids_that_are_not_integers_are_422(client: TestClient, record_id: str) -> None:
    response = client.get(f"/predictions/{record_id}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "id"]


def test_read_endpoints_reject_writes(client: TestClient) -> None:
    assert client.post("/predictions", json={}).status_code == 405
    assert client.delete("/predictions/1").status_code == 405
