"""Lab 12 (reference solution): a health-gated blue/green switch and a canary verdict.

Part A. ``deploy`` moves traffic to a new version only when it has proved itself: its
``/health`` answers 200 with the expected model version (polled, with a deadline, because a
fresh service needs a moment to load its model), and a smoke prediction returns a probability.
Otherwise the router keeps pointing at the old version, and the result says which gate failed.

Part B. ``canary_verdict`` compares a canary's window of traffic with the stable version's and
answers ``wait``, ``rollback`` or ``promote``, by the limits in ``CanaryPolicy``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
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


def _client(client: httpx.Client | None) -> contextlib.AbstractContextManager[httpx.Client]:
    """The caller's client (left open), or a new one closed after use. A client holds
    connections and an SSL context, which is slow to build: share one across calls."""
    return contextlib.nullcontext(client) if client is not None else httpx.Client()


def _healthy_once(client: httpx.Client, url: str, expected_version: str, timeout: float) -> bool:
    try:
        response = client.get(url, timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError):  # refused, timed out, not JSON
        return False
    return (
        response.status_code == 200
        and isinstance(body, dict)
        and body.get("model_version") == expected_version
    )


def wait_until_healthy(
    base_url: str,
    expected_version: str,
    timeout_s: float,
    interval_s: float = 0.05,
    client: httpx.Client | None = None,
) -> bool:
    """Poll ``/health`` until it reports ``expected_version`` or ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    with _client(client) as http:
        while (remaining := deadline - time.monotonic()) > 0:
            # Each request may only use the time that is left: a hanging server must not
            # stretch the deadline.
            if _healthy_once(http, f"{base_url}/health", expected_version, remaining):
                return True
            time.sleep(max(min(interval_s, deadline - time.monotonic()), 0))
    return False


def smoke_test(base_url: str, timeout_s: float = 2.0, client: httpx.Client | None = None) -> bool:
    """One real prediction: 200 and a probability between 0 and 1."""
    try:
        with _client(client) as http:
            response = http.post(f"{base_url}/predict", json=SMOKE_CUSTOMER, timeout=timeout_s)
        probability = response.json().get("churn_probability")
    except (httpx.HTTPError, ValueError, AttributeError):
        return False
    return (
        response.status_code == 200
        and isinstance(probability, (int, float))
        and not isinstance(probability, bool)
        and math.isfinite(probability)
        and 0.0 <= probability <= 1.0
    )


def deploy(
    router: Router, candidate_url: str, expected_version: str, timeout_s: float = 10.0
) -> DeployResult:
    """Switch ``router`` to ``candidate_url`` if the candidate passes both gates."""
    with httpx.Client() as client:
        if not wait_until_healthy(candidate_url, expected_version, timeout_s, client=client):
            return DeployResult(
                False, f"health: {candidate_url} did not report {expected_version} in {timeout_s}s"
            )
        if not smoke_test(candidate_url, timeout_s, client=client):
            return DeployResult(False, f"smoke: {candidate_url} did not return a valid prediction")
    router.switch(candidate_url)
    return DeployResult(True, f"switched to {candidate_url} ({expected_version})")


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
    """``("wait" | "rollback" | "promote", reasons)`` for one analysis window."""
    policy = policy or CanaryPolicy()
    if canary.errors > policy.max_early_errors and canary.requests < policy.min_requests:
        return "rollback", [f"{canary.errors} errors before the canary could be judged"]
    if canary.requests < policy.min_requests:
        return "wait", [f"only {canary.requests} canary requests, need {policy.min_requests}"]
    reasons = []
    if canary.error_rate > stable.error_rate + policy.max_error_rate_increase:
        reasons.append(f"error rate {canary.error_rate:.3f} vs stable {stable.error_rate:.3f}")
    if canary.p95_ms > stable.p95_ms * policy.max_latency_ratio:
        reasons.append(f"p95 latency {canary.p95_ms:.0f} ms vs stable {stable.p95_ms:.0f} ms")
    if abs(canary.mean_score - stable.mean_score) > policy.max_score_shift:
        reasons.append(f"mean score {canary.mean_score:.3f} vs stable {stable.mean_score:.3f}")
    return ("rollback", reasons) if reasons else ("promote", [])
