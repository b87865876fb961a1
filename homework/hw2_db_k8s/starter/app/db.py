"""The database engine: one connection pool per process.

TODO(hw2, task 1): create the SQLAlchemy engine for ``settings.database_url`` (the contract's
``postgresql+psycopg://...`` form) and a session factory, and decide what happens while the
database is down:

* size the pool from the settings (``pool_size``, ``max_overflow``, ``pool_timeout``);
* bound every wait: a connect timeout (psycopg's ``connect_timeout``), a statement timeout
  (``options="-c statement_timeout=..."``), the pool timeout — a request must never hang;
* make the pool recover by itself after a database restart (``pool_pre_ping=True``);
* list the exceptions that mean "the database is unavailable", so ``app/main.py`` can turn them
  into a 503 (``sqlalchemy.exc.OperationalError``, ...).

Read the SQLAlchemy 2 docs on "Engine Configuration" and "Connection Pooling".
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings


def make_engine(settings: Settings) -> Engine:
    """A pooled engine for ``settings.database_url``."""
    raise NotImplementedError("TODO(hw2, task 1): create the engine (see this module's docstring)")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``."""
    raise NotImplementedError("TODO(hw2, task 1): sessionmaker(engine, expire_on_commit=False)")
