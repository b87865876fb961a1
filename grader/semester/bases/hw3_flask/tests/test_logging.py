"""JSON log lines (structlog) and request ids: one line per request, every line parseable."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from app.jsonlog import configure_logging
from app.main import create_app

Lines = Callable[[], list[dict[str, Any]]]
GENERATED = re.compile(r"^[0-9a-f]{32}$")
FIELDS = {"ts", "level", "logger", "message", "request_id"}


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """The JSON lines written while the test runs (the root logger's handlers are restored)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging(buffer)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    root.handlers[:] = handlers
    root.setLevel(level)


def finished(lines: Lines) -> list[dict[str, Any]]:
    return [line for line in lines() if line["message"] == "request finished"]


def test_each_request_writes_one_complete_line(fresh_client, log_lines) -> None:
    reply = fresh_client.get("/health", headers={"X-Request-ID": "req-7"})
    assert reply.headers["X-Request-ID"] == "req-7"
    [line] = finished(log_lines)
    assert set(line) >= FIELDS
    assert (line["level"], line["logger"], line["request_id"]) == ("INFO", "churn.http", "req-7")
    assert (line["method"], line["route"], line["status"]) == ("GET", "/health", 200)
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 1000
    assert datetime.fromisoformat(line["ts"]).utcoffset().total_seconds() == 0


def test_error_answers_are_logged_with_their_route_and_status(fresh_client, log_lines) -> None:
    fresh_client.post("/predict", json={"tenure": 1})
    fresh_client.get("/predictions/abc")
    fresh_client.get("/wp-admin/setup.php")
    fresh_client.put("/health")
    fresh_client.get("/metrics")  # exempt: no line
    seen = [(line["method"], line["route"], line["status"]) for line in finished(log_lines)]
    assert seen == [
        ("POST", "/predict", 422),
        ("GET", "/predictions/{id}", 422),
        ("GET", "__unmatched__", 404),
        ("PUT", "/health", 405),
    ]
    assert all(set(line) >= FIELDS for line in log_lines())


def test_no_request_body_is_logged(fresh_client, log_lines, customer) -> None:
    customer["customer_id"] = "private-customer-4711"
    assert fresh_client.post("/predict", json=customer).status_code == 200
    assert "private-customer-4711" not in json.dumps(log_lines())
    assert len(finished(log_lines)) == 1


@pytest.mark.parametrize(
    "given",
    ["a b", "x" * 129, "", "caf\u00e9", "tab\there"],
    ids=["space", "too-long", "empty", "non-ascii", "control"],
)
def test_unacceptable_ids_are_replaced(fresh_client, log_lines, given) -> None:
    reply = fresh_client.get("/health", headers={"X-Request-ID": given})
    generated = reply.headers["X-Request-ID"]
    assert GENERATED.match(generated) and generated != given
    assert finished(log_lines)[0]["request_id"] == generated


def test_acceptable_ids_come_back_unchanged_on_every_status(fresh_client) -> None:
    longest = "!~" + "z" * 126
    assert (
        fresh_client.get("/health", headers={"X-Request-ID": longest}).headers["X-Request-ID"]
        == longest
    )
    for method, path in [("POST", "/predict"), ("GET", "/nowhere"), ("DELETE", "/model")]:
        reply = fresh_client.open(path, method=method, headers={"X-Request-ID": "id:1/x"})
        assert reply.status_code in (404, 405, 422)
        assert reply.headers["X-Request-ID"] == "id:1/x"


def test_generated_ids_differ(fresh_client) -> None:
    ids = {fresh_client.get("/health").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5 and all(GENERATED.match(i) for i in ids)
    assert GENERATED.match(fresh_client.get("/metrics").headers["X-Request-ID"])


def test_lines_outside_a_request_have_a_null_id(fresh_client, log_lines) -> None:
    fresh_client.get("/health", headers={"X-Request-ID": "before"})
    logging.getLogger("gunicorn.error").warning("worker %s timed out", 7)
    line = log_lines()[-1]
    assert line["message"] == "worker 7 timed out"
    assert (line["logger"], line["level"], line["request_id"]) == (
        "gunicorn.error",
        "WARNING",
        None,
    )


def test_a_crash_is_one_line_with_the_traceback(engine, log_lines) -> None:
    app = create_app(engine=engine)

    @app.post("/explode")
    def explode() -> None:
        raise ValueError("kaboom")

    reply = app.test_client().post("/explode", headers={"X-Request-ID": "boom-1"})
    assert reply.status_code == 500
    [error] = [line for line in log_lines() if line["level"] == "ERROR"]
    assert error["request_id"] == "boom-1" and "ValueError: kaboom" in error["exception"]
    assert finished(log_lines)[0]["status"] == 500
