"""The API's request ids, metrics and log lines, through the real application and database."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.main import create_app


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return sum(
        v for (n, got), v in samples.items() if n == name and labels.items() <= dict(got).items()
    )


def test_request_id_is_echoed_or_generated(client: TestClient, customer: dict[str, Any]) -> None:
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    for response in (
        client.get("/health"),
        client.get("/no/such/path"),
        client.post("/predict", json={}),
        client.post("/predict", json=customer),
        client.get("/metrics"),
    ):
        assert len(response.headers["x-request-id"]) == 32, response.status_code
    too_long = "x" * 129
    assert (
        client.get("/health", headers={"X-Request-ID": too_long}).headers["x-request-id"]
        != too_long
    )


def test_counters_move_by_what_was_sent(client: TestClient, customer: dict[str, Any]) -> None:
    before = scrape(client)
    assert client.post("/predict", json=customer).status_code == 200
    assert client.post("/predict", json={**customer, "tenure": -1}).status_code == 422
    batch = client.post("/predict/batch", json={"customers": [customer] * 3})
    assert batch.status_code == 200
    assert client.get("/predictions/123456").status_code == 404
    assert client.get("/wp-admin/setup.php").status_code == 404
    assert client.get("/predict").status_code == 405
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("http_requests_total", route="/predict", status="200") == 1
    assert moved("http_requests_total", route="/predict", status="422") == 1
    assert moved("http_requests_total", route="/predict", status="405", method="GET") == 1
    assert moved("http_requests_total", route="/predict/batch", status="200") == 1
    assert moved("http_requests_total", route="/predictions/{id}", status="404") == 1
    assert moved("http_requests_total", route="__unmatched__", status="404") == 1
    assert moved("http_requests_total", route="/metrics") == 0
    assert moved("http_request_duration_seconds_count", route="/predict") == 3
    assert moved("predictions_total") == 4
    assert moved("prediction_probability_count") == 4
    churned = batch.json()["predictions"][0]["churn"]
    assert moved("predictions_total", outcome="churn" if churned else "no_churn") >= 3
    assert value(after, "http_requests_in_progress") == 0
    labels = {v for (_, got) in after for _, v in got}
    assert not {"/wp-admin/setup.php", "/predictions/123456"} & labels


def test_model_info_names_the_served_version(client: TestClient) -> None:
    version = client.get("/model").json()["version"]
    assert value(scrape(client), "model_info", version=version) == 1


def test_a_database_outage_is_counted_as_503(
    client: TestClient, customer: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*args: object, **kwargs: object) -> int:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr("app.repository.PredictionRepository.add", down)
    before = scrape(client)
    assert client.post("/predict", json=customer).status_code == 503
    after = scrape(client)
    assert (
        value(after, "http_requests_total", status="503")
        - value(before, "http_requests_total", status="503")
        == 1
    )
    assert value(after, "predictions_total") == value(before, "predictions_total")


def test_oversized_bodies_are_counted_under_their_route(client: TestClient) -> None:
    before = scrape(client)
    response = client.post(
        "/predict/batch",
        content=b"{" + b" " * (5 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413 and "x-request-id" in response.headers
    after = scrape(client)
    key = {"route": "/predict/batch", "status": "413"}
    assert (
        value(after, "http_requests_total", **key) - value(before, "http_requests_total", **key)
        == 1
    )


def test_one_log_line_per_request_with_its_id(
    client: TestClient, customer: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.requests"):
        client.post("/predict", json=customer, headers={"X-Request-ID": "log-1"})
        client.get("/metrics", headers={"X-Request-ID": "log-2"})
    finished = [r for r in caplog.records if r.getMessage() == "request finished"]
    assert len(finished) == 1, "one line for /predict, none for /metrics"
    (line,) = finished
    assert (line.method, line.route, line.status) == ("POST", "/predict", 200)
    assert line.duration_ms > 0


def test_unhandled_errors_become_a_logged_500_with_the_request_id(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(Settings(database_url=database_url, migrate_on_start=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
        metrics = scrape(client)
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    assert json.loads(response.content) == {"detail": "Internal Server Error"}
    assert value(metrics, "http_requests_total", route="/boom", status="500") == 1
    errors = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert errors and errors[0].exc_info is not None
