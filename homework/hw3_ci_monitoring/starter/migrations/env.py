"""Alembic's entry point: run the migrations against the service's database.

Two ways in:

* from the service (``app/migrations.py``): it passes an open connection in
  ``config.attributes["connection"]`` (inside its transaction, holding the migration lock);
* from the ``alembic`` command line: the URL comes from ``DATABASE_URL``, as for the service.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.config import Settings
from app.db import make_engine
from app.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    """Apply the pending migrations on ``connection`` (one transaction: DDL is transactional)."""
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the service's connection when given one, else connect with the service's settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(Settings())
    try:
        with engine.connect() as fresh:
            run_migrations(fresh)
            fresh.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
