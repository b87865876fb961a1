"""Fixtures of the hw3 course tests: one embedded PostgreSQL server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.homework.hw2._hw2 import Postgres, running_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server; ``postgres.create_database()`` gives each test an empty database."""
    with running_postgres() as server:
        yield server
