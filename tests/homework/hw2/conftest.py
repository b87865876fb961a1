"""Fixtures of the hw2 course tests: one embedded PostgreSQL server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.homework.hw2._hw2 import Postgres


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A PostgreSQL server; ``postgres.create_database()`` gives each test an empty database."""
    server = Postgres(tmp_path_factory.mktemp("hw2-pg") / "data")
    yield server
    server.cleanup()
