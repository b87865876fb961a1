"""The calibration service with hw3's instrumentation: Prometheus metrics, request ids, JSON logs.

The same model, validation and scoring as :mod:`grader.calibration.app` (imported, not copied),
instrumented the way lecture 10 teaches it and a reasonable student writes it:

* one ``@app.middleware("http")`` that takes the caller's ``X-Request-ID`` (or generates one),
  returns it in the response, counts and times the request by method, route template and status,
  tracks requests in flight and writes one JSON log line per finished request (requests to
  ``/metrics`` are neither counted nor logged);
* the prediction endpoints count predictions by outcome and observe each probability;
* ``GET /metrics`` renders the service's registry with prometheus-client;
* python's ``logging`` with a small JSON formatter, one line per record on standard output.

Metric and field names are the hw3 contract's (``observability``); its bucket bounds, unmatched
route label and per-request log message are read from the contract. hw3's stress test compares a
submission with this service (``[stages.load] calibration = "instrumented"`` in its rubric), so the
yardstick pays for the same instrumentation the submission must carry.

Its capacity relative to the plain service, measured on the course's 2-core machine with hw3's
schedule (1-16 users, 4 s steps, two windows), the two interleaved in one run, three rounds each on
a busy machine: 0.90 (medians 37.7 vs 42.0 RPS; per round 1.01, 0.90, 0.77). Also in
``docs/grading.md`` (load checks).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from grader.calibration.app import VERSION, Batch, Customer, health, score
from grader.contracts import load_contract

OBSERVABILITY = load_contract("hw3")["observability"]
METRICS = OBSERVABILITY["metrics"]
BUCKETS = {f["name"]: tuple(f["buckets"]) for f in METRICS["families"] if "buckets" in f}
UNMATCHED_ROUTE = METRICS["unmatched_route"]
METRICS_PATH = METRICS["path"]
REQUEST_MESSAGE = OBSERVABILITY["logs"]["request_line"]["message"]
REQUEST_ID_HEADER = "X-Request-ID"
ACCEPTED_REQUEST_ID = re.compile(r"[!-~]{1,128}")  # visible ASCII, no spaces: echoed unchanged

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

registry = CollectorRegistry()
http_requests = Counter(
    "http_requests",
    "Finished HTTP requests by method, route template and status.",
    ["method", "route", "status"],
    registry=registry,
)
http_duration = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to its response.",
    ["method", "route"],
    buckets=BUCKETS["http_request_duration_seconds"],
    registry=registry,
)
in_progress = Gauge("http_requests_in_progress", "Requests being served now.", registry=registry)
predictions = Counter(
    "predictions", "Customers scored, by outcome.", ["outcome"], registry=registry
)
probability = Histogram(
    "prediction_probability",
    "Churn probability of every prediction.",
    buckets=BUCKETS["prediction_probability"],
    registry=registry,
)
model_info = Gauge("model_info", "1 for the loaded model.", ["version"], registry=registry)
model_info.labels(version=VERSION).set(1)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: the contract's fields, plus the request line's extras."""

    EXTRA_FIELDS = ("method", "route", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        """Serialise ``record``; fields passed with ``extra=`` become top-level keys."""
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        for key in self.EXTRA_FIELDS:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload)


def json_logger(name: str) -> logging.Logger:
    """A logger writing JSON lines to standard output only (uvicorn's own logs are untouched)."""
    log = logging.getLogger(name)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


logger = json_logger("calibration.requests")
app = FastAPI(title="calibration churn service (instrumented)")
app.get("/health")(health)


def observe(results: list[dict]) -> None:
    """Count predictions by outcome and record their probabilities."""
    for result in results:
        predictions.labels("churn" if result["churn"] else "no_churn").inc()
        probability.observe(result["churn_probability"])


@app.post("/predict")
def predict(customer: Customer) -> dict:
    """One prediction."""
    result = score(customer)
    observe([result])
    return result


@app.post("/predict/batch")
def predict_batch(batch: Batch) -> dict:
    """Predictions in request order."""
    results = [score(c) for c in batch.customers]
    observe(results)
    return {"predictions": results, "model_version": VERSION}


@app.get(METRICS_PATH, include_in_schema=False)
def metrics() -> Response:
    """The registry in the Prometheus text format."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@app.middleware("http")
async def instrument(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Request id, metrics and one JSON log line for every request but the scrapes."""
    if request.url.path == METRICS_PATH:
        return await call_next(request)
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    rid = incoming if ACCEPTED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    token = request_id.set(rid)
    in_progress.inc()
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        response.headers[REQUEST_ID_HEADER] = rid
        return response
    finally:
        seconds = time.perf_counter() - started
        # The route template (also on a 405), never the raw path: ids would explode the series.
        route = getattr(request.scope.get("route"), "path", UNMATCHED_ROUTE)
        http_requests.labels(request.method, route, str(status)).inc()
        http_duration.labels(request.method, route).observe(seconds)
        in_progress.dec()
        logger.info(
            REQUEST_MESSAGE,
            extra={
                "method": request.method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            },
        )
        request_id.reset(token)
