"""Request ids: take the caller's ``X-Request-ID`` when it is sane, else generate one.

The id of the request being served lives in a context variable, so every log line written while
serving it (in the event loop or in a worker thread: Starlette copies the context) carries it.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
MAX_LENGTH = 128
# Visible ASCII, no spaces: safe to echo in a header and to write into a log line.
_ACCEPTED = re.compile(rb"[!-~]{1,%d}" % MAX_LENGTH)

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    """A fresh id: 32 lower-case hex digits."""
    return uuid.uuid4().hex


def accept_or_generate(raw: bytes | None) -> str:
    """The caller's id unchanged if it is 1-128 visible ASCII characters, else a new one."""
    if raw is not None and _ACCEPTED.fullmatch(raw):
        return raw.decode("ascii")
    return new_request_id()
