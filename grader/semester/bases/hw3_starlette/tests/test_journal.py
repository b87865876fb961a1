"""The JSON formatter and the logging set-up the launcher installs."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.journal import REQUEST_ID, JsonLines, install


def record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("churn.test", logging.WARNING, __file__, 7, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_line_has_the_contract_fields() -> None:
    line = json.loads(JsonLines().format(record("hello %s", "world")))
    assert list(line)[:5] == ["ts", "level", "logger", "message", "request_id"]
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "churn.test",
        "hello world",
    )
    assert line["request_id"] is None
    stamp = datetime.fromisoformat(line["ts"])
    assert stamp.utcoffset() == timedelta(0)


def test_the_request_id_comes_from_the_context() -> None:
    token = REQUEST_ID.set("req-7")
    try:
        line = json.loads(JsonLines().format(record()))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "req-7"


def test_extra_fields_are_kept_and_odd_values_become_text() -> None:
    line = json.loads(JsonLines().format(record(status=200, where=Path("/tmp/x"), ok=True)))
    assert (line["status"], line["where"], line["ok"]) == (200, "/tmp/x", True)
    assert "args" not in line and "msg" not in line and "levelno" not in line


def test_uvicorns_coloured_copy_of_the_message_is_dropped() -> None:
    line = json.loads(JsonLines().format(record("up", color_message="\x1b[36mup\x1b[0m")))
    assert line["message"] == "up" and "color_message" not in line


def test_an_extra_cannot_overwrite_a_contract_field() -> None:
    line = json.loads(JsonLines().format(record(level="fake")))
    assert line["level"] == "WARNING"


def test_exceptions_and_stacks_are_one_field_each_on_one_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        failing = record("failed", exc_info=sys.exc_info())
    failing.stack_info = "Stack (most recent call last):\n  here"
    text = JsonLines().format(failing)
    assert "\n" not in text
    line = json.loads(text)
    assert "ValueError: broken" in line["exception"] and line["stack"].endswith("here")


@pytest.fixture
def pristine_logging() -> Iterator[None]:
    """Put the root and uvicorn loggers back the way they were after the test."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    named = {n: logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "alembic")}
    kept = {n: (lg.handlers[:], lg.propagate) for n, lg in named.items()}
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, (handlers, propagate) in kept.items():
        named[name].handlers[:] = handlers
        named[name].propagate = propagate


def test_install_sends_every_logger_through_the_formatter(pristine_logging) -> None:
    stream = io.StringIO()
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.propagate = False
    uvicorn_error.addHandler(logging.StreamHandler(io.StringIO()))
    install(logging.INFO, stream)
    uvicorn_error.info("Started server process")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade")
    logging.getLogger("churn").debug("not shown at INFO")
    lines = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert [(x["logger"], x["message"]) for x in lines] == [
        ("uvicorn.error", "Started server process"),
        ("alembic.runtime.migration", "Running upgrade"),
    ]
    assert logging.getLogger().handlers[0].stream is stream  # type: ignore[attr-defined]
    assert len(logging.getLogger().handlers) == 1
