"""Bring the database to the newest alembic revision (``migrations/``), safely and repeatably.

The upgrade runs in one transaction holding a PostgreSQL advisory lock, so two processes starting
together do not race: the second waits, then finds nothing to do. On a current schema it is a no-op.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
LOCK = 7_202_602  # any constant shared by every process of this service


def alembic_config() -> Config:
    """``alembic.ini`` with the script location made absolute (any working directory works)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it has no schema yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str | None:
    """Apply pending migrations under the lock; the resulting revision."""
    config = alembic_config()
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return revision(engine)
