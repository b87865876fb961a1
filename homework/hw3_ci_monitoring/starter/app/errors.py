"""Error handling that keeps every bad request a 4xx in the contract's shapes.

* :class:`BodySizeLimitMiddleware` answers **413** for oversized bodies before they are read.
* :class:`JSONBodyRoute` turns FastAPI's bare 400 for bodies it cannot parse at all (invalid
  UTF-8, JSON nested too deeply for the parser, integers with thousands of digits) into the same
  **422** ``json_invalid`` error it gives for other malformed JSON.
* :func:`validation_error_handler` renders 422s in FastAPI's shape without ever failing itself.
* :func:`database_unavailable_handler` turns "the database is down" into a clean **503** with
  ``Retry-After``, never a 500 (the next request tries again: the service recovers by itself).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)
DATABASE_RETRY_AFTER_S = 2


class BodySizeLimitMiddleware:
    """Answer 413 for request bodies above ``max_bytes``, declared or streamed, before parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(send)
                return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body parsing: FastAPI re-raises HTTPExceptions and
                    # its exception middleware turns this one into the 413 response.
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=self._detail())
            return message

        await self.app(scope, limited_receive, send)

    def _detail(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    async def _reject(self, send: Send) -> None:
        body = json.dumps({"detail": self._detail()}, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status.HTTP_413_CONTENT_TOO_LARGE,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class JSONBodyRoute(APIRoute):
    """An APIRoute whose unparseable request bodies are 422 ``json_invalid``, not 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except StarletteHTTPException as exc:
                # FastAPI raises a bare 400 "from" the parser's exception (UnicodeDecodeError,
                # RecursionError, ValueError for over-long integers); anything else is re-raised.
                cause = exc.__cause__
                if exc.status_code != 400 or not isinstance(cause, ValueError | RecursionError):
                    raise
                error = {
                    "type": "json_invalid",
                    "loc": ("body",),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": _parse_failure(cause)},
                }
                raise RequestValidationError([error]) from exc

        return route_handler


def _parse_failure(cause: Exception) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not valid UTF-8"
    if isinstance(cause, RecursionError):
        return "the JSON is nested too deeply"
    return str(cause)[:200]


def render_validation_errors(errors: Sequence[Mapping[str, Any]]) -> bytes:
    """FastAPI's 422 body (``{"detail": [{"type", "loc", "msg", "input", "ctx"}]}``), made safe.

    FastAPI echoes each offending ``input`` back. Two changes to its default handler:

    * an ``input`` that is an object or array is not echoed: for a missing field it is the whole
      enclosing object, and a batch of 1000 broken customers would echo megabytes;
    * JSON cannot carry some values a request can smuggle in (``NaN``/``Infinity`` tokens,
      numbers that overflow to infinity): the default handler fails on them with a 500. If the
      echo cannot be encoded it is dropped, and ``type``/``loc``/``msg`` are always kept.
    """
    detail = [
        {k: v for k, v in error.items() if not (k == "input" and isinstance(v, dict | list))}
        for error in errors
    ]
    try:
        body = {"detail": jsonable_encoder(detail)}
        return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    except (ValueError, TypeError, RecursionError):
        minimal = [
            {"type": str(e.get("type")), "loc": list(e.get("loc", ())), "msg": str(e.get("msg"))}
            for e in errors
        ]
        return json.dumps({"detail": minimal}, default=str, separators=(",", ":")).encode()


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """422 with FastAPI's body shape, for any request validation error."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return Response(
        content=render_validation_errors(errors),
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        media_type="application/json",
    )


async def database_unavailable_handler(request: Request, exc: Exception) -> Response:
    """503 ``{"detail": "database unavailable"}`` for connection errors, timeouts, a full pool."""
    # One line, no traceback and no URL (it may carry a password): the cause is enough.
    logger.warning(
        "%s %s: database unavailable (%s)", request.method, request.url.path, type(exc).__name__
    )
    body = json.dumps({"detail": "database unavailable, try again shortly"}).encode()
    return Response(
        content=body,
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        media_type="application/json",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )
