"""Alembic entry point: the service hands over its own connection; the CLI connects by DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.db import Base, connect
from app.settings import Settings

config = context.config


def migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
given = config.attributes.get("connection")
if given is not None:
    migrate(given)
else:
    engine = connect(Settings.from_env())
    with engine.begin() as fresh:
        migrate(fresh)
    engine.dispose()
