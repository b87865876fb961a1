"""Alembic's entry point. The migrations are plain SQL, so there is no metadata to compare."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from app.schema import engine_for


def run(connection: Connection) -> None:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run(handed_over)
else:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set")
    engine = engine_for(url)
    with engine.begin() as connection:
        run(connection)
    engine.dispose()
