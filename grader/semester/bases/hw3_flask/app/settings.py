"""Settings from the environment: ``DATABASE_URL`` and a few ``CHURN_*`` knobs with defaults.

Only the standard library: the service reads them once, at start, and a wrong value is a one-line
error (``SettingsError``), never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

SCHEME = "postgresql+psycopg"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def normalise_url(url: str) -> str:
    """The contract's ``postgresql+psycopg://`` form (plain ``postgresql://`` means the same)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise SettingsError(f"DATABASE_URL must look like {SCHEME}://USER:PASSWORD@HOST:PORT/DB")
    if scheme in ("postgresql", "postgres"):
        return f"{SCHEME}://{rest}"
    if scheme != SCHEME:
        raise SettingsError(f"DATABASE_URL must use {SCHEME}:// (got {scheme[:20]!r}://)")
    return url


def _number(env: Mapping[str, str], name: str, default: float, low: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw[:20]!r}") from None
    if value < low:
        raise SettingsError(f"{name} must be at least {low:g}")
    return value


@dataclass(frozen=True)
class Settings:
    """What may differ between a laptop, the grader, a container and the cluster."""

    database_url: str
    pool_size: int = 4
    max_overflow: int = 4
    pool_timeout_s: float = 5.0
    connect_timeout_s: int = 3
    statement_timeout_ms: int = 5000
    startup_timeout_s: float = 30.0
    migrate_on_start: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; :class:`SettingsError` when ``DATABASE_URL`` is missing or wrong."""
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL", "").strip()
        if not url:
            raise SettingsError(
                f"DATABASE_URL is not set: the service stores every prediction in PostgreSQL "
                f"({SCHEME}://USER:PASSWORD@HOST:PORT/DB)"
            )
        return cls(
            database_url=normalise_url(url),
            pool_size=int(_number(env, "CHURN_DB_POOL_SIZE", cls.pool_size, 1)),
            max_overflow=int(_number(env, "CHURN_DB_MAX_OVERFLOW", cls.max_overflow, 0)),
            pool_timeout_s=_number(env, "CHURN_DB_POOL_TIMEOUT_S", cls.pool_timeout_s, 0.1),
            connect_timeout_s=int(_number(env, "CHURN_DB_CONNECT_TIMEOUT_S", 3, 1)),
            statement_timeout_ms=int(_number(env, "CHURN_DB_STATEMENT_TIMEOUT_MS", 5000, 100)),
            startup_timeout_s=_number(env, "CHURN_DB_STARTUP_TIMEOUT_S", 30.0, 0),
            migrate_on_start=env.get("CHURN_MIGRATE_ON_START", "true").lower()
            not in ("0", "false", "no"),
        )
