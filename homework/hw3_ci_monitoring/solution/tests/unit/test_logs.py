"""Unit tests of the JSON log format: the fields every line carries."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from datetime import datetime

import pytest

from app.logs import LOGGING_CONFIG, configure_logging
from app.request_ids import current_request_id


@pytest.fixture
def json_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The JSON handler, writing to a buffer instead of stdout; logging restored afterwards."""
    buffer = io.StringIO()
    monkeypatch.setattr("sys.stdout", buffer)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging()
    yield buffer
    root.handlers, root.level = saved[0], saved[1]


def records(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_every_line_is_json_with_the_required_fields(json_lines: io.StringIO) -> None:
    logging.getLogger("app.test").warning("disk %s", "full", extra={"free_mb": 3})
    (line,) = records(json_lines)
    assert line["message"] == "disk full"
    assert line["level"] == "WARNING"
    assert line["logger"] == "app.test"
    assert line["request_id"] is None
    assert line["free_mb"] == 3
    assert datetime.fromisoformat(line["ts"]).utcoffset() is not None


def test_lines_inside_a_request_carry_its_id(json_lines: io.StringIO) -> None:
    token = current_request_id.set("req-7")
    try:
        logging.getLogger("app.test").info("inside")
    finally:
        current_request_id.reset(token)
    logging.getLogger("app.test").info("outside")
    inside, outside = records(json_lines)
    assert inside["request_id"] == "req-7" and outside["request_id"] is None


def test_uvicorn_access_log_is_muted_and_errors_go_through_json(json_lines: io.StringIO) -> None:
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    logging.getLogger("uvicorn.error").info("Started server process")
    (line,) = records(json_lines)
    assert line["logger"] == "uvicorn.error"
    assert LOGGING_CONFIG["loggers"]["uvicorn.access"]["propagate"] is False
