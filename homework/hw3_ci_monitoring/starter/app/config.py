"""Service settings, read from the environment with sensible defaults.

``DATABASE_URL`` is the one setting without a prefix (the grader, Compose and Kubernetes all set
it); everything else is ``CHURN_<NAME>``. Examples::

    DATABASE_URL=postgresql+psycopg://churn:secret@127.0.0.1:5432/churn python -m app serve
    CHURN_DB_POOL_SIZE=20 CHURN_DB_MAX_OVERFLOW=0 python -m app serve --port 8080
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL_SCHEME = "postgresql+psycopg"


class Settings(BaseSettings):
    """Everything that may differ between a laptop, CI, a container and the cluster."""

    # populate_by_name: tests may pass Settings(database_url=...) as well as DATABASE_URL=...
    model_config = SettingsConfigDict(env_prefix="CHURN_", extra="ignore", populate_by_name=True)

    title: str = "Churn prediction service"
    model_path: Path = Field(
        default=PROJECT_ROOT / "model" / "model.json",
        description="the exported model parameters written by training/train.py",
    )
    metrics_path: Path = Field(
        default=PROJECT_ROOT / "model" / "metrics.json",
        description="the golden metrics written by training/train.py",
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description="larger request bodies get 413 before any parsing (a full batch is ~0.5 MB)",
    )

    # --- the database ---------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB; required by `serve`",
        repr=False,  # it may carry a password
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=100, description="connections kept open in the pool"
    )
    db_max_overflow: int = Field(
        default=5, ge=0, le=100, description="extra connections opened under bursts, then closed"
    )
    db_pool_timeout_s: float = Field(
        default=5.0, gt=0, description="wait this long for a free connection, then answer 503"
    )
    db_connect_timeout_s: int = Field(
        default=3, ge=1, description="give up connecting after this long (no hang while it is down)"
    )
    db_statement_timeout_ms: int = Field(
        default=5000, ge=100, description="the server cancels a statement that runs longer"
    )
    db_startup_timeout_s: float = Field(
        default=30.0, ge=0, description="at start, wait this long for the database to answer"
    )
    migrate_on_start: bool = Field(
        default=True,
        description="bring the schema to the latest migration at start (off where a Job does it)",
    )

    @field_validator("database_url")
    @classmethod
    def _postgresql_psycopg(cls, url: str | None) -> str | None:
        """The contract's form; plain ``postgresql://`` (as libpq tools print it) means the same."""
        if url is None:
            return None
        scheme, separator, rest = url.partition("://")
        if scheme in ("postgresql", "postgres") and separator:
            return f"{DATABASE_URL_SCHEME}://{rest}"
        if scheme != DATABASE_URL_SCHEME or not separator:
            raise ValueError(
                f"DATABASE_URL must look like {DATABASE_URL_SCHEME}://USER:PASSWORD@HOST:PORT/DB "
                f"(got a URL starting {scheme[:20]!r})"
            )
        return url


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
