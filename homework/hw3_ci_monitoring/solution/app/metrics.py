"""The service's Prometheus metrics, in a registry of its own (one per application).

Names, types and labels are the contract's (``observability.metrics`` in
``tests/public/contract.json``); the dashboard and the alert rules in ``monitoring/`` query them.
Labels take values from small, fixed sets only: the HTTP method, the route *template* (never the
raw path: ``/predictions/17`` is counted under ``/predictions/{id}``, an unknown path under
``__unmatched__``), the status code, the prediction outcome and the model version.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

UNMATCHED_ROUTE = "__unmatched__"
METRICS_PATH = "/metrics"
# Around the 250 ms p95 latency target: fine below it, coarse above.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
PROBABILITY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class ServiceMetrics:
    """Every metric family the service exports, registered in ``registry``."""

    registry: CollectorRegistry
    requests: Counter
    duration: Histogram
    in_progress: Gauge
    predictions: Counter
    probability: Histogram
    model_info: Gauge

    @classmethod
    def create(cls) -> ServiceMetrics:
        """A fresh registry with the service's families plus process and runtime metrics."""
        registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=registry)
        platform_collector.PlatformCollector(registry=registry)
        gc_collector.GCCollector(registry=registry)
        return cls(
            registry=registry,
            requests=Counter(
                "http_requests",
                "Finished HTTP requests by method, route template and status code.",
                ["method", "route", "status"],
                registry=registry,
            ),
            duration=Histogram(
                "http_request_duration_seconds",
                "Time from a request's arrival to its response, by method and route template.",
                ["method", "route"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            in_progress=Gauge(
                "http_requests_in_progress",
                "Requests being served right now.",
                registry=registry,
            ),
            predictions=Counter(
                "predictions",
                "Customers scored and stored, by outcome (churn: probability >= threshold).",
                ["outcome"],
                registry=registry,
            ),
            probability=Histogram(
                "prediction_probability",
                "Churn probability of every stored prediction.",
                buckets=PROBABILITY_BUCKETS,
                registry=registry,
            ),
            model_info=Gauge(
                "model_info",
                "1 for the model being served; its version in the label.",
                ["version"],
                registry=registry,
            ),
        )

    def set_model(self, version: str) -> None:
        """Record the loaded model (one series: a reload replaces the old version)."""
        self.model_info.clear()
        self.model_info.labels(version=version).set(1)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request and time it."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def observe_predictions(self, results: Iterable[tuple[bool, float]]) -> None:
        """Count stored predictions, given as ``(churn, probability)`` pairs."""
        churned = stayed = 0
        for churn, probability in results:
            self.probability.observe(probability)
            if churn:
                churned += 1
            else:
                stayed += 1
        if churned:
            self.predictions.labels("churn").inc(churned)
        if stayed:
            self.predictions.labels("no_churn").inc(stayed)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The path template of the route that served ``scope`` (also when only the method differed).

    After routing, Starlette leaves the matched route in ``scope["route"]``. A request answered
    before routing (a 413 of the body-size limit) is matched against ``routes`` here. Anything
    else, a typo or a scanner's probe, is :data:`UNMATCHED_ROUTE`: one label value for all of
    them, however many different paths arrive.
    """
    served = scope.get("route")
    if served is not None and isinstance(getattr(served, "path", None), str):
        return served.path
    partial: str | None = None
    for route in _flatten(routes):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.path
        if match is Match.PARTIAL and partial is None:
            partial = route.path
    return partial or UNMATCHED_ROUTE


def _flatten(routes: Sequence[BaseRoute]) -> Iterator[Any]:
    """Every route with a path template, also those of included routers (FastAPI >= 0.16x)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flatten(included.routes)
        elif isinstance(getattr(route, "path", None), str):
            yield route
