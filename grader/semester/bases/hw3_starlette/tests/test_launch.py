"""``python -m app.launch``: refuses to start without a usable database, migrates, then serves."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app import launch


@pytest.fixture(autouse=True)
def pristine_root() -> Iterator[None]:
    """The launcher installs its own logging: undo it after each test."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """What the launcher wrote to standard output, every line parsed as JSON."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_no_database_url_is_exit_code_2(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert launch.main([]) == 2
    (line,) = printed(capsys)
    assert line["level"] == "ERROR" and "DATABASE_URL is not set" in line["message"]


def test_a_url_of_the_wrong_form_is_exit_code_2(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u:p@h/db")
    assert launch.main([]) == 2
    assert "postgresql+psycopg://" in printed(capsys)[0]["message"]


def test_a_silent_database_is_exit_code_3(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    monkeypatch.setattr("app.schema.time.sleep", lambda s: pytest.fail("--wait 0 retries nothing"))
    assert launch.main(["--wait", "0"]) == 3
    assert "did not answer within 0 s" in printed(capsys)[-1]["message"]


def test_migrate_only_migrates_and_stops(monkeypatch, capsys, server) -> None:
    monkeypatch.setenv("DATABASE_URL", server.database("launched"))
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("must not serve"))
    assert launch.main(["--migrate-only"]) == 0
    lines = printed(capsys)
    assert any(line["message"].startswith("schema at revision p001") for line in lines)
    assert all(line["request_id"] is None for line in lines)


def test_serving_keeps_the_json_logging_and_drops_the_access_log(monkeypatch, capsys) -> None:
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://churn@127.0.0.1:5432/churn")
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    assert launch.main(["--no-migrate", "--host", "127.0.0.2", "--port", "8123"]) == 0
    [(args, kwargs)] = calls
    assert args == ("app.main:app",)
    assert kwargs == {
        "host": "127.0.0.2",
        "port": 8123,
        "log_config": None,
        "access_log": False,
    }
    assert logging.getLogger().level == logging.INFO


def test_the_log_level_can_be_raised(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert launch.main(["--log-level", "critical"]) == 2
    assert printed(capsys) == []
    assert logging.getLogger().level == logging.CRITICAL
