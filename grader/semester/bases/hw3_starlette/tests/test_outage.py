"""The database goes away under a running service, then comes back: 503s, then service again.

The outage is staged on a PostgreSQL of its own: the session's server (and the pool of the
session's application) never sees it, whatever order the tests run in.
"""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from app.main import build
from app.schema import migrate


def test_the_service_answers_503_then_recovers(own_server, sample) -> None:
    url = own_server.database("outage")
    migrate(url)
    with TestClient(build(database_url=url, wait_s=1.0), raise_server_exceptions=False) as http:
        assert http.post("/predict", json=sample).status_code == 200
        assert http.get("/ready").status_code == 200
        own_server.stop()
        try:
            started = time.monotonic()
            down = http.post("/predict", json=sample, headers={"X-Request-ID": "outage-1"})
            assert down.status_code == 503 and down.headers["retry-after"] == "2"
            assert down.json() == {"detail": "database unavailable, try again shortly"}
            assert down.headers["x-request-id"] == "outage-1"
            assert time.monotonic() - started < 4
            assert http.get("/ready").status_code == 503
            assert http.get("/health").status_code == 200
            assert http.get("/predictions/1").status_code == 503
            assert http.post("/predict", json={"tenure": 1}).status_code == 422
            served = http.app.state.meters.registry.get_sample_value  # type: ignore[attr-defined]
            labels = {"method": "POST", "route": "/predict", "status": "503"}
            assert served("http_requests_total", labels) == 1
        finally:
            own_server.start()
        deadline = time.monotonic() + 15
        while http.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert http.get("/ready").status_code == 200
        again = http.post("/predict", json=sample)
        assert again.status_code == 200 and again.json()["id"] == 2
