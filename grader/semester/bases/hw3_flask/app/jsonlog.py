"""JSON log lines with structlog: one object per line on standard output, every logger included.

The service logs through structlog (``structlog.get_logger(name)``); gunicorn, SQLAlchemy and
alembic log through the standard library. Both end in the same ``logging`` handler whose
formatter is structlog's ``ProcessorFormatter``, so every line has the same shape::

    {"ts": "2026-10-05T09:14:03.120Z", "level": "INFO", "logger": "churn.http",
     "message": "request finished", "request_id": "3f2a...", "method": "POST", ...}

``request_id`` comes from structlog's context variables (:func:`bind_request_id`) and is
``null`` outside a request. :data:`LOGGING` is a ``logging.config.dictConfig`` dictionary:
``app.serve`` applies it, and ``gunicorn.conf.py`` hands it to gunicorn (``logconfig_dict``), so
gunicorn's own messages are JSON too.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REQUEST_ID = "request_id"


def _upper_level(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """``INFO``, ``WARNING``, ``ERROR``: the names operators grep for."""
    event["level"] = str(event.get("level", method)).upper()
    return event


def _request_id_or_null(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """Every line names its request; lines outside a request say so with ``null``."""
    event.setdefault(REQUEST_ID, None)
    return event


# Run on every event, structlog's and the standard library's alike.
COMMON: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    _request_id_or_null,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    _upper_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The ``logging`` formatter that renders any record as one JSON line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=COMMON,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
    )


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.jsonlog.json_formatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        # gunicorn's error log through our handler; its access log stays off (ours is better).
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "alembic": {"level": "WARNING"},
    },
}


def setup_structlog() -> None:
    """Route structlog's loggers into ``logging`` (idempotent; no handler is touched)."""
    structlog.configure(
        processors=[*COMMON, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_logging(stream: TextIO | None = None) -> None:
    """Send every record of this process to ``stream`` (standard output) as JSON lines."""
    config = dict(LOGGING)
    if stream is not None and stream is not sys.stdout:
        handler = dict(LOGGING["handlers"]["stdout"], stream=stream)
        config["handlers"] = {"stdout": handler}
    logging.config.dictConfig(config)
    setup_structlog()


def bind_request_id(request_id: str) -> None:
    """Make ``request_id`` part of every line this thread writes until :func:`forget_request`."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**{REQUEST_ID: request_id})


def forget_request() -> None:
    """Back to ``request_id: null`` (gunicorn's threads serve many requests, one after another)."""
    structlog.contextvars.clear_contextvars()
