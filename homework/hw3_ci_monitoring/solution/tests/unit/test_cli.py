"""The command line in-process: one-line errors, the migrate command, the parser."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app import cli


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``cli.main`` configures JSON logging on the root logger; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def test_serve_without_database_url_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["serve", "--port", "1"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: DATABASE_URL is not set")


def test_invalid_settings_name_the_setting_not_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2@db/churn")
    assert cli.main(["migrate"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "database_url" in err.lower() and "hunter2" not in err


def test_migrate_brings_a_fresh_database_to_head(
    monkeypatch: pytest.MonkeyPatch, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    assert cli.main(["migrate"]) == 0
    assert "database schema at revision" in capsys.readouterr().out


def test_migrate_gives_up_on_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://nobody@/churn?host={tmp_path}")
    monkeypatch.setenv("CHURN_DB_STARTUP_TIMEOUT_S", "0.5")
    assert cli.main(["migrate"]) == cli.EXIT_UNAVAILABLE
    assert "did not answer within 0.5 s" in capsys.readouterr().err


def test_parser_defaults_follow_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9123")
    args = cli.build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("0.0.0.0", 9123)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args([])
