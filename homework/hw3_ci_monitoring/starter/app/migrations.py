"""Apply the Alembic migrations in ``migrations/`` from inside the service.

The service brings its database to the latest schema at start (``Settings.migrate_on_start``),
and ``python -m app migrate`` does the same on its own (a Kubernetes init container runs it).
Both are safe to repeat and to run concurrently: the upgrade holds a PostgreSQL advisory lock for
its transaction, so of two replicas starting together one migrates and the other then finds the
schema current and does nothing.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text

from app.config import PROJECT_ROOT

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
# Any fixed 64-bit number, the same for every replica: the key of the migration lock.
MIGRATION_LOCK_KEY = 0x63_68_75_72_6E  # "churn"
# Waiting for another replica's migration may take longer than a request may.
MIGRATION_STATEMENT_TIMEOUT = "60s"


def alembic_config() -> Config:
    """The project's Alembic configuration, usable from any working directory."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def head_revision() -> str | None:
    """The newest migration in ``migrations/versions``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> str | None:
    """Apply every pending migration in one transaction, under the migration lock; the revision."""
    config = alembic_config()
    with engine.begin() as connection:
        connection.execute(text(f"SET LOCAL statement_timeout = '{MIGRATION_STATEMENT_TIMEOUT}'"))
        connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return MigrationContext.configure(connection).get_current_revision()
