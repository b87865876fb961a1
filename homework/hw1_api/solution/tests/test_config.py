"""app/config.py: settings come from CHURN_* environment variables and are validated."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults, whatever CHURN_* variables the shell running the tests has."""
    for name in ("CHURN_TITLE", "CHURN_MODEL_PATH", "CHURN_METRICS_PATH", "CHURN_MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_point_at_the_committed_model() -> None:
    settings = Settings()
    assert settings.model_path == ROOT / "model" / "model.json"
    assert settings.metrics_path == ROOT / "model" / "metrics.json"
    assert settings.model_path.is_file() and settings.metrics_path.is_file()
    assert settings.max_body_bytes == 4 * 1024 * 1024


def test_environment_overrides_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHURN_MODEL_PATH", str(tmp_path / "m.json"))
    monkeypatch.setenv("CHURN_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.model_path == tmp_path / "m.json"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize("limit", [1024, 1_000_000])
def test_body_limit_of_at_least_1024_bytes_is_accepted(limit: int) -> None:
    assert Settings(max_body_bytes=limit).max_body_bytes == limit


@pytest.mark.parametrize("limit", [1023, 0, -1])
def test_body_limit_below_1024_bytes_is_refused(limit: int) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Settings(max_body_bytes=limit)
    assert [e["loc"] for e in excinfo.value.errors()] == [("max_body_bytes",)]


def test_bad_body_limit_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHURN_MAX_BODY_BYTES", "100")
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings()


def test_settings_are_read_once() -> None:
    assert get_settings() is get_settings()
