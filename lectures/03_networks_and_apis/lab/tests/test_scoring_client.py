"""Self-check for lab 3: the client against a real HTTP server on 127.0.0.1 that misbehaves on cue."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import scoring_client
from scoring_client import RetryPolicy, ScoringError

CUSTOMER = {"customer_id": "7590-VHVEG", "tenure": 1, "contract": "Month-to-month"}
PREDICTION = {"customer_id": "7590-VHVEG", "churn": True, "churn_probability": 0.71}
FAST = RetryPolicy(attempts=3, backoff=0.01, max_delay=0.05, timeout=0.5)


@dataclass
class FlakyServer:
    """Answers each request with the next step of ``script``; the last step repeats.

    A step is an HTTP status, ``"slow"`` (wait a second, then 200) or ``"garbage"`` (200, not JSON).
    """

    url: str = ""
    script: list[int | str] = field(default_factory=lambda: [200])
    requests: list[dict[str, str]] = field(default_factory=list)

    def next_step(self, headers: dict[str, str]) -> int | str:
        self.requests.append(headers)
        return self.script[min(len(self.requests), len(self.script)) - 1]


@pytest.fixture
def server() -> Iterator[FlakyServer]:
    state = FlakyServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            step = state.next_step(dict(self.headers))
            if step == "slow":
                time.sleep(1.0)
                step = 200
            body = b"<html>oops</html>" if step == "garbage" else json.dumps(PREDICTION).encode()
            status = 200 if step == "garbage" else int(step)
            if status != 200:
                body = json.dumps({"detail": f"status {status}"}).encode()
            try:
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up on a slow answer and closed the connection

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_a_healthy_service_answers_on_the_first_try(server: FlakyServer) -> None:
    assert scoring_client.score(server.url, CUSTOMER, FAST) == PREDICTION
    assert len(server.requests) == 1


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(attempts=5, backoff=0.1, max_delay=0.5)
    assert scoring_client.backoff_delays(policy) == pytest.approx([0.1, 0.2, 0.4, 0.5])


def test_unavailable_twice_then_success(server: FlakyServer) -> None:
    server.script = [503, 502, 200]
    assert scoring_client.score(server.url, CUSTOMER, FAST) == PREDICTION
    assert len(server.requests) == 3


def test_retries_share_one_idempotency_key(server: FlakyServer) -> None:
    server.script = [503, 200]
    scoring_client.score(server.url, CUSTOMER, FAST)
    scoring_client.score(server.url, CUSTOMER, FAST)
    keys = [headers.get("Idempotency-Key") for headers in server.requests]
    assert None not in keys, "every request needs an Idempotency-Key header"
    assert keys[0] == keys[1], "the retry must reuse the key of its call"
    assert keys[2] != keys[0], "a new call needs a new key"


def test_waits_between_attempts_follow_the_policy(server: FlakyServer) -> None:
    server.script = [504]
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, backoff=0.01, max_delay=1.0, timeout=0.5)
    with pytest.raises(ScoringError, match="504"):
        scoring_client.score(server.url, CUSTOMER, policy, sleep=waits.append)
    assert waits == pytest.approx([0.01, 0.02])
    assert len(server.requests) == 3


def test_retry_after_overrides_the_backoff(server: FlakyServer) -> None:
    server.script = [503, 200]
    waits: list[float] = []
    policy = RetryPolicy(attempts=2, backoff=0.3, timeout=0.5)
    scoring_client.score(server.url, CUSTOMER, policy, sleep=waits.append)
    assert waits == [0.0]  # the test server sends Retry-After: 0


def test_a_bad_request_is_not_retried(server: FlakyServer) -> None:
    server.script = [422]
    with pytest.raises(ScoringError, match="422"):
        scoring_client.score(server.url, CUSTOMER, FAST)
    assert len(server.requests) == 1


def test_a_hung_service_costs_the_timeout_not_forever(server: FlakyServer) -> None:
    server.script = ["slow"]
    policy = RetryPolicy(attempts=2, backoff=0.01, timeout=0.1)
    started = time.perf_counter()
    with pytest.raises(ScoringError, match="timed out"):
        scoring_client.score(server.url, CUSTOMER, policy)
    # Each answer would take a second: two attempts without a timeout would take two.
    assert time.perf_counter() - started < 1.5
    assert len(server.requests) == 2


def test_nobody_listening_is_a_scoring_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ScoringError, match="cannot connect"):
        scoring_client.score(f"http://127.0.0.1:{port}", CUSTOMER, FAST)


def test_a_body_that_is_not_json_is_a_scoring_error(server: FlakyServer) -> None:
    server.script = ["garbage"]
    with pytest.raises(ScoringError, match="not JSON"):
        scoring_client.score(server.url, CUSTOMER, FAST)
