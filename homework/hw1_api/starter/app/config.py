"""Service settings, read from the environment (prefix ``CHURN_``) with sensible defaults.

Examples::

    CHURN_MODEL_PATH=/srv/models/model.json uvicorn app.main:app
    CHURN_MAX_BODY_BYTES=1000000 uvicorn app.main:app
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything that may differ between a laptop, CI and production."""

    model_config = SettingsConfigDict(env_prefix="CHURN_", extra="ignore")

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
        description="FastAPI answers 413 to larger request bodies (a full batch is ~0.5 MB)",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
