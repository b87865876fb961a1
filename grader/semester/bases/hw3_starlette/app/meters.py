"""The Prometheus families of the contract, kept in a registry of their own (one per application).

A registry per application, not prometheus-client's global one: every test builds a fresh app and
reads counters that start at zero, and two apps in one process never share a series. The route
label is always a path template or ``UNMATCHED``, the outcome one of two words, the version the
loaded model's: no label value comes from what a client sends.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

UNMATCHED = "__unmatched__"
EXPOSITION_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Seconds, with the 250 ms latency target as one of the bounds.
LATENCY_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
RISK_BOUNDS = tuple(step / 10 for step in range(1, 11))
OUTCOMES = ("churn", "no_churn")


class Meters:
    """Request, prediction and model families; ``exposition()`` is the body of ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests",
            "Finished HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Seconds from a request's arrival to its last response byte handed to the server.",
            ["method", "route"],
            buckets=LATENCY_BOUNDS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_progress",
            "Requests being served right now.",
            registry=self.registry,
        )
        self.predictions = Counter(
            "predictions",
            "Customers scored and stored, by the answer given.",
            ["outcome"],
            registry=self.registry,
        )
        self.risk = Histogram(
            "prediction_probability",
            "Churn probability of every stored prediction.",
            buckets=RISK_BOUNDS,
            registry=self.registry,
        )
        self.model = Gauge(
            "model_info",
            "1 for the model being served; its version is the label.",
            ["version"],
            registry=self.registry,
        )
        # Both outcomes exist from the start, so a share of them is defined before the first churn.
        for outcome in OUTCOMES:
            self.predictions.labels(outcome=outcome)

    def serving(self, version: str) -> None:
        """The model with this version answers from now on (the only series at 1)."""
        self.model.clear()
        self.model.labels(version=version).set(1)

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request."""
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)

    def scored(self, answers: Iterable[tuple[bool, float]]) -> None:
        """Stored predictions as ``(churn, probability)`` pairs."""
        for churn, probability in answers:
            self.predictions.labels(outcome=OUTCOMES[0] if churn else OUTCOMES[1]).inc()
            self.risk.observe(probability)

    def exposition(self) -> bytes:
        """Every family in the Prometheus text format."""
        return generate_latest(self.registry)
