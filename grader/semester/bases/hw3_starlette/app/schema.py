"""The schema is alembic's (``migrations/``): bring the database to the newest revision.

Run once per start by ``python -m app.launch`` before the server listens, over a short-lived
SQLAlchemy engine (alembic's own machinery); the service's requests then use the psycopg pool.
A PostgreSQL advisory lock serialises concurrent starts; on a current schema nothing changes.
"""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

HOME = Path(__file__).resolve().parents[1]
LOCK_KEY = 0x5EED_C4A2


def sqlalchemy_url(url: str) -> str:
    """The contract's ``postgresql+psycopg://`` form, whatever libpq form was given."""
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def engine_for(url: str) -> Engine:
    """A connection-per-use engine (migrations are brief) that gives up connecting after 3 s."""
    return create_engine(
        sqlalchemy_url(url), poolclass=NullPool, connect_args={"connect_timeout": 3}
    )


def settings() -> Config:
    config = Config(str(HOME / "alembic.ini"))
    config.set_main_option("script_location", str(HOME / "migrations"))
    return config


def wait(engine: Engine, seconds: float) -> None:
    """Return once the database answers; re-raise its error after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1)


def current(engine: Engine) -> str | None:
    """The database's revision (None before the first migration)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(url: str, wait_s: float = 30.0) -> str | None:
    """Wait for the database, apply pending migrations under the lock; the revision reached."""
    engine = engine_for(url)
    try:
        wait(engine, wait_s)
        config = settings()
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return current(engine)
    finally:
        engine.dispose()
