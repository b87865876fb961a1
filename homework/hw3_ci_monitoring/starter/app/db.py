"""The database engine: one connection pool per process, sized and time-limited by the settings.

Failure behaviour (what the 503s rely on):

* connecting gives up after ``db_connect_timeout_s``, so a dead database never hangs a request;
* the server cancels any statement running longer than ``db_statement_timeout_ms``;
* waiting for a free pooled connection gives up after ``db_pool_timeout_s``;
* ``pool_pre_ping`` tests a pooled connection before handing it out, so connections broken by a
  database restart are replaced silently: the service recovers without a restart of its own.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

# What "the database is unavailable" looks like to SQLAlchemy: cannot connect, connection lost,
# server shutting down, statement cancelled by the timeout, no free connection in the pool.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
)


class DatabaseNotConfiguredError(RuntimeError):
    """``DATABASE_URL`` is not set."""

    def __init__(self) -> None:
        super().__init__(
            "DATABASE_URL is not set: the service stores every prediction in PostgreSQL. "
            "Set it to postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB, "
            "or run `uv run python -m app dev` for a local embedded database."
        )


def make_engine(settings: Settings) -> Engine:
    """A pooled engine for ``settings.database_url`` with the timeouts above."""
    if not settings.database_url:
        raise DatabaseNotConfiguredError()
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            # Timestamps come back in UTC whatever the server's default time zone.
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms} -c timezone=UTC",
            "application_name": "churn-service",
        },
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit (responses use them)."""
    return sessionmaker(engine, expire_on_commit=False)


def database_is_reachable(engine: Engine) -> bool:
    """True when a ``SELECT 1`` succeeds within the connect and statement timeouts."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except UNAVAILABLE_ERRORS:
        return False
    return True


def wait_for_database(engine: Engine, timeout_s: float, interval_s: float = 1.0) -> None:
    """Block until the database answers; re-raise its last error after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except UNAVAILABLE_ERRORS:
            if time.monotonic() + interval_s > deadline:
                raise
            time.sleep(interval_s)
