"""Run one locust window against a service and summarise it (RPS, error rate, latency percentiles)."""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from grader.sandbox import netns
from grader.sandbox.trusted import run_trusted

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class LoadProfile:
    """Users, pacing and duration of a load window."""

    users: int
    pacing_s: float
    seconds: float
    timeout_s: float = 5.0


@dataclass
class LoadResult:
    """What a window measured."""

    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    seconds: float
    problem: str | None = None

    @property
    def error_rate(self) -> float:
        """Failed / all requests (1.0 when nothing was sent)."""
        return self.failures / self.requests if self.requests else 1.0

    @property
    def success_rps(self) -> float:
        """Successful requests per second."""
        return round((self.requests - self.failures) / self.seconds, 2) if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, with the error rate."""
        return {**asdict(self), "error_rate": round(self.error_rate, 4)}


def _percentile(histogram: dict[str, int], fraction: float) -> float:
    """Percentile from locust's rounded response-time histogram (ms -> count)."""
    items = sorted((float(k), v) for k, v in histogram.items())
    total = sum(v for _, v in items)
    if not total:
        return 0.0
    running = 0
    for value, count in items:
        running += count
        if running >= fraction * total:
            return value
    return items[-1][0]


def summarise(stats: list[dict[str, Any]], seconds: float) -> LoadResult:
    """Turn locust's ``--json`` output into a :class:`LoadResult`."""
    requests = sum(s["num_requests"] for s in stats)
    failures = sum(s["num_failures"] for s in stats)
    histogram: dict[str, int] = {}
    for s in stats:
        for key, count in s["response_times"].items():
            histogram[key] = histogram.get(key, 0) + count
    return LoadResult(
        requests,
        failures,
        round(requests / seconds, 2) if seconds else 0.0,
        _percentile(histogram, 0.50),
        _percentile(histogram, 0.95),
        _percentile(histogram, 0.99),
        seconds,
    )


def warm_up(
    base_url: str, namespace: str | None, customers: list[dict[str, Any]], requests: int = 20
) -> None:
    """A few sequential requests before the window, so first-call costs (imports, caches) are not measured."""

    def send() -> None:
        with httpx.Client(base_url=base_url, timeout=5.0) as client:
            for customer in customers[:requests]:
                try:
                    client.post("/predict", json=customer)
                except httpx.HTTPError:
                    return

    netns.call_in(namespace, send)


def run_load(
    base_url: str, namespace: str | None, customers: list[dict[str, Any]], profile: LoadProfile
) -> LoadResult:
    """Run locust headless (a subprocess, inside the service's network namespace when it has one)."""
    warm_up(base_url, namespace, customers)
    with tempfile.TemporaryDirectory(prefix="grader-load-") as tmp:
        data = Path(tmp) / "customers.json"
        data.write_text(json.dumps(customers))
        argv = [
            *(netns.exec_prefix(namespace) if namespace else []),
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(profile.users),
            "--spawn-rate",
            # users start one pacing period apart in total, so paced requests do not arrive in lockstep
            f"{profile.users / profile.pacing_s:g}",
            "--run-time",
            f"{profile.seconds:g}s",
            "--host",
            base_url,
            "--json",
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "2",
            "--exit-code-on-error",
            "0",
        ]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": tmp,
            "GRADER_LOAD_CUSTOMERS": str(data),
            "GRADER_LOAD_PACING": str(profile.pacing_s),
            "GRADER_LOAD_TIMEOUT": str(profile.timeout_s),
            "PYTHONPATH": "",
        }
        result = run_trusted(
            argv, Path(tmp), env, timeout=profile.seconds + 60, output_bytes=4_000_000
        )
    text = result.output
    start = text.find("[")
    try:
        stats = json.loads(text[start : text.rfind("]") + 1]) if start >= 0 else None
    except json.JSONDecodeError:
        stats = None
    if not isinstance(stats, list):
        return LoadResult(
            0,
            0,
            0.0,
            0.0,
            0.0,
            0.0,
            profile.seconds,
            problem=f"locust produced no results (exit {result.returncode}): {result.tail(5)}",
        )
    return summarise(stats, profile.seconds)
