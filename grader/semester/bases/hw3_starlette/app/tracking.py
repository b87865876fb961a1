"""A pure ASGI middleware: request ids, the request metrics and the one log line per request.

It wraps ``send``. On ``http.response.start`` it adds ``X-Request-ID`` and notes the status; on
the last ``http.response.body`` message it counts and times the request and writes the
``request finished`` line *before* handing that message on, so a scrape sent right after the
answer already sees it. The route label is the template of the route Starlette's router matched
(``scope["route"]``, set for 405s too) or ``__unmatched__``; ``/metrics`` itself is never counted.

Starlette runs ``Exception`` handlers outside user middleware, so an unhandled error would leave
without the id and uncounted: this middleware answers it (500) and logs it itself.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.journal import REQUEST_ID
from app.meters import UNMATCHED, Meters

HEADER = b"x-request-id"
VALID_ID = re.compile(r"[!-~]{1,128}")
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CRASH_BODY = msgspec.json.encode({"detail": "Internal Server Error"})
log = logging.getLogger("churn.requests")


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` when it is 1-128 visible ASCII characters, else a new one."""
    for name, value in scope["headers"]:
        if name == HEADER:
            given = value.decode("latin-1")
            if VALID_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def route_label(scope: Scope) -> str:
    """The matched route's path template, or ``UNMATCHED``."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class RequestTracking:
    """Wraps the application: ``Middleware(RequestTracking, meters=..., exempt="/metrics")``."""

    def __init__(self, app: ASGIApp, meters: Meters, exempt: str = "/metrics") -> None:
        self.app = app
        self.meters = meters
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        counted = scope["path"] != self.exempt
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        started = time.perf_counter()
        status = 0
        done = False

        def finish() -> None:
            nonlocal done
            done = True
            if not counted:
                return
            seconds = time.perf_counter() - started
            route = route_label(scope)
            self.meters.in_flight.dec()
            self.meters.finished(method, route, status, seconds)
            log.info(
                "request finished",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                },
            )

        async def tracked_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finish()
            await send(message)

        if counted:
            self.meters.in_flight.inc()
        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            if status:  # the answer had begun: nothing can be sent any more
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            status = 500
            await tracked_send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await tracked_send({"type": "http.response.body", "body": CRASH_BODY})
        finally:
            if not done:  # the client went away before the last body message
                finish()
            REQUEST_ID.reset(token)
