"""A client for the churn service's ``POST /predict`` that survives a flaky network.

* every request has a timeout: a hung server costs seconds, not forever;
* connection failures, timeouts and 502/503/504 are retried with exponential backoff, honouring a
  numeric ``Retry-After`` (capped);
* every attempt of one call carries the same ``Idempotency-Key``, so a server that did the work
  before the answer was lost can replay it instead of doing it twice;
* other 4xx/5xx answers are not retried: sending the same bad request again cannot help;
* whatever goes wrong, the caller gets one ``ScoringError`` with a one-line reason.
"""

from __future__ import annotations

import functools
import ssl
import time
import uuid
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


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA certificates takes a noticeable fraction of a second: do it once."""
    return ssl.create_default_context()


def backoff_delays(policy: RetryPolicy) -> list[float]:
    """The waits between attempts: backoff, 2x, 4x, ... each capped at ``max_delay``."""
    return [min(policy.backoff * 2**i, policy.max_delay) for i in range(policy.attempts - 1)]


def _retry_after(response: httpx.Response, default: float, cap: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), cap)
    except ValueError:
        return default


def score(
    base_url: str,
    customer: dict[str, Any],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST ``customer`` to ``<base_url>/predict`` and return the decoded JSON prediction."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    delays = backoff_delays(policy)
    problem = "no attempt made"
    with httpx.Client(base_url=base_url, timeout=policy.timeout, verify=_tls_context()) as client:
        for attempt in range(policy.attempts):
            wait = delays[attempt] if attempt < len(delays) else 0.0
            try:
                response = client.post("/predict", json=customer, headers=headers)
            except httpx.TimeoutException:
                problem = f"timed out after {policy.timeout:g}s"
            except httpx.TransportError as exc:
                problem = f"cannot connect to {base_url}: {type(exc).__name__}"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        raise ScoringError(
                            "the service answered 200 with a body that is not JSON"
                        ) from None
                if response.status_code not in RETRY_STATUSES:
                    raise ScoringError(
                        f"the service refused the request: {response.status_code} {response.text[:200]}"
                    )
                problem = f"the service is unavailable: {response.status_code}"
                wait = _retry_after(response, wait, policy.max_delay)
            if attempt + 1 < policy.attempts:
                sleep(wait)
    raise ScoringError(f"gave up after {policy.attempts} attempts: {problem}")
