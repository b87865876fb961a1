"""What an operator sees of each request: a request id, Prometheus metrics and one log line.

:class:`Instruments` holds the contract's metric families (``observability.metrics``: names,
types and labels are the contract's, the bucket bounds are read from it). :func:`instrument`
hooks them into a Flask app with ``before_request`` / ``after_request`` / ``teardown_request``:

* ``before_request`` takes the caller's ``X-Request-ID`` (or makes one), binds it to the log
  context, starts the clock and counts the request in flight;
* ``after_request`` puts the id on the response (errors too: Flask runs it for every response an
  error handler made) and notes the status;
* ``teardown_request`` runs whatever happened, so the in-flight gauge always goes back down; it
  counts and times the request by method, route template and status, and writes the one
  ``request finished`` line. Flask calls it before the WSGI server sends the body, so a client
  that has its answer finds it counted.

Requests to ``/metrics`` get an id but are neither counted nor logged: a scrape moves nothing.

Under gunicorn every worker is a process of its own; ``app.serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` and prometheus-client then keeps the values in files there, which
``/metrics`` adds up over the workers (the gauges say how: in flight is the sum over live
workers, the model's info the maximum).
"""

from __future__ import annotations

import functools
import os
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

import structlog
from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Rule

from app.jsonlog import bind_request_id, forget_request

REQUEST_ID_HEADER = "X-Request-ID"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Flask writes path variables as <name> or <converter:name>; the contract as {name}.
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

log = structlog.get_logger("churn.http")


@functools.lru_cache(maxsize=64)
def template_of(rule: str) -> str:
    """``/predictions/<id>`` -> ``/predictions/{id}``: the route label of a Flask rule."""
    return _VARIABLE.sub(r"{\1}", rule)


class Instruments:
    """The service's metric families, and a registry that exposes them.

    ``multiprocess_dir`` (default: ``$PROMETHEUS_MULTIPROC_DIR``) switches to prometheus-client's
    multiprocess mode: the families are not registered anywhere, the registry reads every
    worker's files instead.
    """

    def __init__(self, contract: dict[str, Any], multiprocess_dir: str | None = None) -> None:
        spec = contract["observability"]["metrics"]
        buckets = {f["name"]: tuple(f["buckets"]) for f in spec["families"] if "buckets" in f}
        self.path: str = spec["path"]
        self.unmatched: str = spec["unmatched_route"]
        self.threshold = float(contract["limits"]["probability_threshold"])
        header = contract["response_headers"][REQUEST_ID_HEADER]
        self.acceptable_id = re.compile(header["pattern"])

        self.registry = CollectorRegistry()
        shared_dir = multiprocess_dir or os.environ.get(MULTIPROCESS_ENV)
        own = self.registry
        if shared_dir:
            MultiProcessCollector(self.registry, path=shared_dir)
            own = None
        self.requests = Counter(
            "http_requests",
            "Finished HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=own,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Seconds from a request's arrival to its response, by method and route template.",
            ["method", "route"],
            buckets=buckets["http_request_duration_seconds"],
            registry=own,
        )
        self.in_flight = Gauge(
            "http_requests_in_progress",
            "Requests being served right now.",
            registry=own,
            multiprocess_mode="livesum",
        )
        self.predictions = Counter(
            "predictions",
            "Customers scored and stored, by outcome (churn: probability >= threshold).",
            ["outcome"],
            registry=own,
        )
        self.probability = Histogram(
            "prediction_probability",
            "Churn probability of every stored prediction.",
            buckets=buckets["prediction_probability"],
            registry=own,
        )
        self.model_info = Gauge(
            "model_info",
            "1 for the model being served; its version is the label.",
            ["version"],
            registry=own,
            multiprocess_mode="livemax",
        )
        # Both outcomes exist from the start: rate() and the drift alert see a 0, not nothing.
        for outcome in ("churn", "no_churn"):
            self.predictions.labels(outcome)

    def serving(self, version: str) -> None:
        """Announce the loaded model."""
        self.model_info.labels(version).set(1)

    def scored(self, probabilities: Iterable[float]) -> None:
        """Count stored predictions by outcome and observe their probabilities."""
        flagged = kept = 0
        for p in probabilities:
            self.probability.observe(p)
            if p >= self.threshold:
                flagged += 1
            else:
                kept += 1
        if flagged:
            self.predictions.labels("churn").inc(flagged)
        if kept:
            self.predictions.labels("no_churn").inc(kept)

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def request_id(self, given: str | None) -> str:
        """The caller's id when it is acceptable (1-128 visible ASCII characters), else a new one."""
        if given is not None and self.acceptable_id.fullmatch(given):
            return given
        return uuid.uuid4().hex

    def exposition(self) -> Response:
        """The registry in the Prometheus text format, version 0.0.4 as the contract says (the
        same text as prometheus-client's newer default for names that need no escaping)."""
        return Response(generate_latest(self.registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def route_label(app: Flask, unmatched: str) -> str:
    """The template of the route the current request matched; for a 405, the template of the
    route that exists for another method; ``unmatched`` for any other path."""
    rule: Rule | None = request.url_rule
    failure = request.routing_exception
    if rule is None and isinstance(failure, MethodNotAllowed) and failure.valid_methods:
        adapter = app.create_url_adapter(request)
        try:
            rule, _ = adapter.match(method=failure.valid_methods[0], return_rule=True)  # type: ignore[union-attr]
        except HTTPException:
            rule = None
    return unmatched if rule is None else template_of(rule.rule)


def instrument(app: Flask, instruments: Instruments) -> None:
    """Install the request hooks and the ``/metrics`` route on ``app``."""
    app.extensions["instruments"] = instruments

    @app.before_request
    def open_request() -> None:
        g.request_id = instruments.request_id(request.headers.get(REQUEST_ID_HEADER))
        bind_request_id(g.request_id)
        if request.path != instruments.path:
            g.started = time.perf_counter()
            instruments.in_flight.inc()

    @app.after_request
    def stamp_response(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or uuid.uuid4().hex
        g.status = response.status_code
        return response

    @app.teardown_request
    def close_request(error: BaseException | None) -> None:
        started = g.pop("started", None)
        try:
            if started is None:
                return
            instruments.in_flight.dec()
            seconds = time.perf_counter() - started
            route = route_label(app, instruments.unmatched)
            status = int(g.get("status", 500))
            instruments.finished(request.method, route, status, seconds)
            log.info(
                "request finished",
                method=request.method,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 3),
            )
        finally:
            forget_request()

    app.add_url_rule(instruments.path, "metrics", instruments.exposition, methods=["GET"])
