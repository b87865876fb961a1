"""While the database is down: /predict and the read endpoints answer 503 quickly (never 500,
never a hang), /ready says 503, /health stays 200, invalid input is still 422; once the database
is back, everything works again without restarting the service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import LocalPostgres, running_postgres

FAST_S = 5.0  # well under any client's timeout; the connect timeout is 3 s


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[LocalPostgres]:
    """A server of this module's own, which the tests stop and start."""
    with running_postgres("churn-outage-pg-") as server:
        yield server


@pytest.fixture(scope="module")
def outage_client(own_postgres: LocalPostgres) -> Iterator[TestClient]:
    settings = Settings(database_url=own_postgres.create_database("churn"), db_pool_size=2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def database_down(own_postgres: LocalPostgres, outage_client: TestClient) -> Iterator[None]:
    """The database stopped for the duration of one test, started again after it."""
    # Fill the pool first, so that stale pooled connections are part of the test.
    assert outage_client.get("/ready").status_code == 200
    own_postgres.stop()
    try:
        yield
    finally:
        own_postgres.start()


def timed(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any, float]:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    return response.status_code, response.json(), time.monotonic() - started


@pytest.mark.usefixtures("database_down")
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/predict", "customer"),
        ("POST", "/predict/batch", "batch"),
        ("GET", "/predictions", None),
        ("GET", "/predictions/1", None),
    ],
)
def test_endpoints_that_need_the_database_answer_503_quickly(
    outage_client: TestClient, customer: dict, method: str, path: str, body: str | None
) -> None:
    payload = {"customer": customer, "batch": {"customers": [customer] * 3}, None: None}[body]
    for _ in range(3):  # stale pooled connections first, then fresh connection attempts
        status, answer, elapsed = timed(outage_client, method, path, json=payload)
        assert status == 503, answer
        assert answer == {"detail": "database unavailable, try again shortly"}
        assert elapsed < FAST_S


@pytest.mark.usefixtures("database_down")
def test_ready_is_503_and_health_stays_200(outage_client: TestClient) -> None:
    status, answer, elapsed = timed(outage_client, "GET", "/ready")
    assert (status, answer) == (503, {"detail": "database unreachable"})
    assert elapsed < FAST_S
    assert outage_client.get("/health").status_code == 200


@pytest.mark.usefixtures("database_down")
def test_invalid_input_is_still_422(outage_client: TestClient, customer: dict) -> None:
    del customer["tenure"]
    assert outage_client.post("/predict", json=customer).status_code == 422
    assert outage_client.get("/predictions", params={"limit": 0}).status_code == 422


@pytest.mark.usefixtures("database_down")
def test_503_carries_retry_after(outage_client: TestClient, customer: dict) -> None:
    response = outage_client.post("/predict", json=customer)
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0


def test_service_recovers_without_a_restart(
    own_postgres: LocalPostgres, outage_client: TestClient, customer: dict
) -> None:
    before = outage_client.post("/predict", json=customer)
    assert before.status_code == 200
    own_postgres.stop()
    try:
        assert outage_client.post("/predict", json=customer).status_code == 503
    finally:
        own_postgres.start()
    # The pool's connections died with the server: pre-ping replaces them on first use.
    after = outage_client.post("/predict", json=customer)
    assert after.status_code == 200, after.text
    assert after.json()["id"] > before.json()["id"]
    assert outage_client.get("/ready").status_code == 200
    stored = outage_client.get("/predictions", params={"limit": 100}).json()["items"]
    assert {item["id"] for item in stored} >= {before.json()["id"], after.json()["id"]}


def test_a_batch_during_the_outage_leaves_no_trace(
    own_postgres: LocalPostgres, outage_client: TestClient, customer: dict
) -> None:
    count_before = len(outage_client.get("/predictions", params={"limit": 100}).json()["items"])
    own_postgres.stop()
    try:
        outage_client.post("/predict/batch", json={"customers": [customer] * 5})
    finally:
        own_postgres.start()
    count_after = len(outage_client.get("/predictions", params={"limit": 100}).json()["items"])
    assert count_after == count_before
