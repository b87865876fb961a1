"""JSON logs on standard output: one object per line, with the request id of the current request.

Every line has ``ts``, ``level``, ``logger``, ``message`` and ``request_id`` (``null`` outside a
request); ``extra={...}`` fields are added as keys. The formatter is python-json-logger's.
``LOGGING_CONFIG`` is a :func:`logging.config.dictConfig` dictionary, so uvicorn can apply it too
(``uvicorn.run(..., log_config=LOGGING_CONFIG)``), also in the reloader's child process.
"""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from app.request_ids import current_request_id


class ContextFilter(logging.Filter):
    """Adds ``ts`` (ISO 8601, UTC) and the current ``request_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


LOGGING_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "app.logs.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{ts}{levelname}{name}{message}{request_id}",
            "style": "{",
            "rename_fields": {"levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["context"],
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        # uvicorn's loggers write through the root handler; its access log is ours instead.
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        "alembic.runtime.plugins": {"level": "WARNING"},
    },
}


def configure_logging() -> None:
    """Send every log record to standard output as one JSON line."""
    logging.config.dictConfig(LOGGING_CONFIG)
