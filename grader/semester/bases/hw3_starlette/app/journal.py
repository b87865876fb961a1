"""JSON lines on standard output: a ``logging.Formatter`` of our own, encoded by msgspec.

Every line carries ``ts``, ``level``, ``logger``, ``message`` and ``request_id`` (the id of the
request being served, from a context variable the tracking middleware sets; null outside one).
Whatever a call passes in ``extra=`` becomes a field of its own, so the request line is simply
``log.info("request finished", extra={"method": ..., "route": ..., ...})``.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# The attributes every LogRecord has: anything else on a record came in through ``extra=``.
# (uvicorn adds ``color_message``, its message with terminal colour codes: not for a log file.)
STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonLines(logging.Formatter):
    """One JSON object per record; values msgspec cannot encode are written as their ``str``."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = msgspec.json.Encoder(enc_hook=str)

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as the dictionary that becomes its line."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return line

    def format(self, record: logging.LogRecord) -> str:
        return self.encoder.encode(self.fields(record)).decode()


def install(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger (uvicorn's and alembic's included) to ``stream`` as JSON lines.

    The root logger gets the only handler; loggers that brought their own lose them and
    propagate instead, so no plain-text line can slip through.
    """
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi", "alembic"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    return handler
