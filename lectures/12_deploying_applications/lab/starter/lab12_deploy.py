"""Lab 12: a health-gated blue/green switch and a canary verdict.

Part A. ``deploy`` moves traffic to a new version only when it has proved itself: its
``/health`` answers 200 with the expected model version (polled, with a deadline, because a
fresh service needs a moment to load its model), and a smoke prediction returns a probability.
Otherwise the router keeps pointing at the old version, and the result says which gate failed.

Part B. ``canary_verdict`` compares a canary's window of traffic with the stable version's and
answers ``wait``, ``rollback`` or ``promote``, by the limits in ``CanaryPolicy``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SMOKE_CUSTOMER: dict[str, Any] = {
    "customer_id": "smoke-test",
    "female": 0,
    "senior_citizen": 0,
    "partner": 1,
    "dependents": 0,
    "tenure": 12,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "DSL",
    "online_security": "Yes",
    "online_backup": "No",
    "device_protection": "No",
    "tech_support": "Yes",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "One year",
    "paperless_billing": 0,
    "payment_method": "Mailed check",
    "monthly_charges": 55.0,
    "total_charges": 660.0,
}


class Router:
    """Where traffic goes: a small JSON file a proxy would read (``{"upstream": url}``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def current(self) -> str | None:
        if not self.path.exists():
            return None
        return json.loads(self.path.read_text())["upstream"]

    def switch(self, upstream: str) -> None:
        """Point traffic at ``upstream`` atomically: write a new file, then rename it over."""
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps({"upstream": upstream}) + "\n")
        os.replace(tmp, self.path)


@dataclass(frozen=True)
class DeployResult:
    switched: bool
    reason: str


def wait_until_healthy(
    base_url: str,
    expected_version: str,
    timeout_s: float,
    interval_s: float = 0.05,
    client: httpx.Client | None = None,
) -> bool:
    """Poll ``/health`` until it reports ``expected_version`` or ``timeout_s`` has passed.

    TODO: a 200 with {"model_version": expected_version} is healthy; a refused connection, a
    5xx, a body that is not JSON or another version means "not yet": try again every
    ``interval_s`` until the deadline, and never let one slow request stretch past it.
    Use ``client`` when given (building an httpx.Client is slow: ``deploy`` shares one).
    """
    return True


def smoke_test(base_url: str, timeout_s: float = 2.0, client: httpx.Client | None = None) -> bool:
    """One real prediction: POST SMOKE_CUSTOMER to /predict.

    TODO: True only for a 200 whose JSON has a churn_probability between 0 and 1.
    """
    return True


def deploy(
    router: Router, candidate_url: str, expected_version: str, timeout_s: float = 10.0
) -> DeployResult:
    """Switch ``router`` to ``candidate_url`` if the candidate passes both gates.

    TODO: gate the switch on wait_until_healthy, then smoke_test; when a gate fails, keep the
    router as it is and return a reason that starts with "health:" or "smoke:".
    """
    router.switch(candidate_url)
    return DeployResult(True, f"switched to {candidate_url}")


@dataclass(frozen=True)
class WindowStats:
    """One version's traffic over the same window."""

    requests: int
    errors: int  # 5xx responses
    p95_ms: float
    mean_score: float  # mean predicted churn probability

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class CanaryPolicy:
    min_requests: int = 200
    max_error_rate_increase: float = 0.01  # absolute, over the stable version's rate
    max_latency_ratio: float = 1.25  # canary p95 / stable p95
    max_score_shift: float = 0.05  # |mean score difference|: wrong without failing
    max_early_errors: int = 5  # more 5xx than this: roll back without waiting for min_requests


def canary_verdict(
    stable: WindowStats, canary: WindowStats, policy: CanaryPolicy | None = None
) -> tuple[str, list[str]]:
    """``("wait" | "rollback" | "promote", reasons)`` for one analysis window.

    TODO, in this order:
    * more than ``max_early_errors`` errors before ``min_requests``: rollback at once;
    * fewer than ``min_requests`` canary requests: wait;
    * rollback, with one reason per breached limit (error rate, p95 latency, mean score);
    * otherwise promote, with no reasons.
    """
    return "promote", []
