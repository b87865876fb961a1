"""Lab 12 self-check: the switch is gated on real health and smoke checks against real local
servers, within its deadline; the canary verdict follows the policy.

Each candidate is a real HTTP server on 127.0.0.1 and a free port, in a thread, with one way of
being (un)ready. The "never started" candidate is a port nobody listens on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import lab12_deploy as lab
import pytest

NEW, OLD = "2.0.0", "1.0.0"
TIMEOUT = 0.3  # seconds a candidate that never gets healthy is given; keeps the suite fast
PATIENT = 3.0  # for candidates that are (or become) healthy: generous, they do not wait it out


class Behaviour:
    """How a fake candidate answers, given the seconds since it started."""

    def __init__(self, health: Callable[[float], tuple[int, Any]], predict: tuple[int, Any]):
        self.health, self.predict = health, predict


def _ok(version: str) -> Callable[[float], tuple[int, Any]]:
    return lambda age: (200, {"status": "ok", "model_version": version})


PREDICTION = (200, {"churn": False, "churn_probability": 0.21, "model_version": NEW})
BEHAVIOURS = {
    "ready": Behaviour(_ok(NEW), PREDICTION),
    "slow start": Behaviour(
        lambda age: (503, {"status": "loading"}) if age < 0.25 else _ok(NEW)(age), PREDICTION
    ),
    "old version": Behaviour(_ok(OLD), PREDICTION),
    "not json": Behaviour(lambda age: (200, "ok"), PREDICTION),
    "always 503": Behaviour(lambda age: (503, {"status": "loading"}), PREDICTION),
    "predict fails": Behaviour(_ok(NEW), (500, {"detail": "model file missing"})),
    "predict nonsense": Behaviour(_ok(NEW), (200, {"churn_probability": 1.7})),
    "hangs": Behaviour(lambda age: time.sleep(2) or _ok(NEW)(age), PREDICTION),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def _serve(behaviour: Behaviour) -> tuple[_Server, str]:
    started = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._send(*behaviour.health(time.monotonic() - started))
            else:
                self._send(404, {"detail": "not found"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/predict":
                self._send(*behaviour.predict)
            else:
                self._send(404, {"detail": "not found"})

        def log_message(self, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def candidate(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a candidate behaving as ``request.param``."""
    server, url = _serve(BEHAVIOURS[request.param])
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def router(tmp_path: Path) -> lab.Router:
    router = lab.Router(tmp_path / "upstream.json")
    router.switch("http://127.0.0.1:1/blue")
    return router


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("candidate", ["ready", "slow start"], indirect=True)
def test_a_healthy_candidate_gets_the_traffic(router: lab.Router, candidate: str) -> None:
    result = lab.deploy(router, candidate, NEW, timeout_s=PATIENT)
    assert result.switched, result.reason
    assert router.current() == candidate


@pytest.mark.parametrize(
    ("candidate", "gate"),
    [
        ("old version", "health"),
        ("not json", "health"),
        ("always 503", "health"),
        ("hangs", "health"),
        ("predict fails", "smoke"),
        ("predict nonsense", "smoke"),
    ],
    indirect=["candidate"],
)
def test_an_unfit_candidate_is_refused_in_time(
    router: lab.Router, candidate: str, gate: str
) -> None:
    timeout = TIMEOUT if gate == "health" else PATIENT
    start = time.monotonic()
    result = lab.deploy(router, candidate, NEW, timeout_s=timeout)
    elapsed = time.monotonic() - start
    assert not result.switched, "an unfit candidate got the traffic"
    assert result.reason.startswith(f"{gate}:"), result.reason
    assert router.current() == "http://127.0.0.1:1/blue"
    assert elapsed < timeout + 1.0, f"the deadline was {timeout}s, the deploy took {elapsed:.1f}s"


def test_a_candidate_that_never_started_is_refused_in_time(router: lab.Router) -> None:
    start = time.monotonic()
    result = lab.deploy(router, _closed_port(), NEW, timeout_s=TIMEOUT)
    assert not result.switched and result.reason.startswith("health:"), result.reason
    assert time.monotonic() - start < TIMEOUT + 1.0
    assert router.current() == "http://127.0.0.1:1/blue"


@pytest.mark.parametrize("candidate", ["slow start"], indirect=True)
def test_health_polling_keeps_trying_until_ready(candidate: str) -> None:
    assert lab.wait_until_healthy(candidate, NEW, timeout_s=PATIENT, interval_s=0.05)


STABLE = lab.WindowStats(requests=2000, errors=4, p95_ms=80.0, mean_score=0.27)
CASES = {
    "too early": (lab.WindowStats(50, 0, 80.0, 0.27), "wait", []),
    "on fire early": (lab.WindowStats(40, 9, 80.0, 0.27), "rollback", ["errors"]),
    "healthy": (lab.WindowStats(400, 1, 85.0, 0.28), "promote", []),
    "errors": (lab.WindowStats(400, 8, 80.0, 0.27), "rollback", ["error rate"]),
    "slow": (lab.WindowStats(400, 0, 120.0, 0.27), "rollback", ["p95"]),
    "scores shifted": (lab.WindowStats(400, 0, 80.0, 0.39), "rollback", ["mean score"]),
    "everything": (lab.WindowStats(400, 40, 200.0, 0.10), "rollback", ["error", "p95", "score"]),
}


@pytest.mark.parametrize("case", CASES)
def test_the_canary_verdict_follows_the_policy(case: str) -> None:
    canary, verdict, mentions = CASES[case]
    got, reasons = lab.canary_verdict(STABLE, canary, lab.CanaryPolicy())
    assert got == verdict, f"{case}: expected {verdict}, got {got} ({reasons})"
    if verdict == "promote":
        assert reasons == []
    for word in mentions:
        assert any(word in reason for reason in reasons), f"{case}: no reason mentions {word!r}"
    if case == "everything":
        assert len(reasons) == 3, "one reason per breached limit"
