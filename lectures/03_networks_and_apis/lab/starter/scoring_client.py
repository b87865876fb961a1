"""A client for the churn service's ``POST /predict`` that survives a flaky network.

Lab starter: ``score`` works while everything goes well. Make it robust (see the lab README):
timeouts, retries with backoff for the failures worth retrying, one Idempotency-Key per call,
and a ``ScoringError`` with a one-line reason for everything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

RETRY_STATUSES = frozenset({502, 503, 504})


class ScoringError(RuntimeError):
    """The prediction could not be obtained; the message says why."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in total, the first backoff, its cap and the per-request timeout."""

    attempts: int = 3
    backoff: float = 0.1
    max_delay: float = 2.0
    timeout: float = 2.0


def backoff_delays(policy: RetryPolicy) -> list[float]:
    """The waits between attempts: backoff, 2x, 4x, ... each capped at ``max_delay``."""
    # TODO: one delay per gap between attempts (attempts - 1 of them).
    return []


def score(
    base_url: str,
    customer: dict[str, Any],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST ``customer`` to ``<base_url>/predict`` and return the decoded JSON prediction."""
    # TODO: a timeout on every request; retries for timeouts, connection errors and
    # RETRY_STATUSES, waiting backoff_delays(policy) between attempts (with ``sleep``) or the
    # server's numeric Retry-After; the same Idempotency-Key header on every attempt of a call;
    # ScoringError for everything that is not a 200 with a JSON body.
    response = httpx.post(f"{base_url}/predict", json=customer, timeout=None)
    return response.json()
