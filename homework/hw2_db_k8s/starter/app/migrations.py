"""Apply the Alembic migrations in ``migrations/`` from inside the service.

The setup is done: ``alembic.ini``, ``migrations/env.py`` (reads ``DATABASE_URL`` and
``app.models.Base.metadata``). What is missing is the first migration and calling it at start.

TODO(hw2, task 2):

* write the first migration in ``migrations/versions/`` (by hand, or draft it with
  ``DATABASE_URL=... uv run alembic revision --autogenerate -m "create predictions"`` once
  ``app/models.py`` describes the table, then read and fix the draft);
* implement :func:`upgrade_to_head` and call it when the service starts (``app/main.py``), so
  that the service starts against an **empty** database; a second start must change nothing,
  and two replicas starting at once must not both try to create the table.
"""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy import Engine

from app.config import PROJECT_ROOT

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def alembic_config() -> Config:
    """The project's Alembic configuration, usable from any working directory."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def upgrade_to_head(engine: Engine) -> str | None:
    """Apply every pending migration; return the revision the database is at afterwards.

    Hint: ``alembic.command.upgrade(config, "head")`` with ``config.attributes["connection"]``
    set to an open connection (``with engine.begin() as connection: ...``).
    """
    raise NotImplementedError("TODO(hw2, task 2): run the migrations")
