"""Run one stress-test window against a service and cut it into steps (RPS, p50/p95, errors).

A window is one locust process (inside the service's network namespace when it has one) running the
step schedule of :mod:`grader.load.locustfile`. The first part of every step is a ramp and is not
measured. A step *qualifies* when its error rate and p95 are within the bounds; the window's
**capacity** is the highest successful request rate among qualifying steps (0 when none qualifies).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from grader.sandbox import netns
from grader.sandbox.trusted import run_trusted

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
RAMP_SHARE = 0.25  # the first quarter of each step is not measured


@dataclass(frozen=True)
class Schedule:
    """A stress test's steps, bounds and repeats (from the rubric)."""

    users: tuple[int, ...]
    step_seconds: float
    windows: int
    max_error_rate: float
    p95_bound_ms: float
    timeout_s: float = 10.0

    @property
    def window_seconds(self) -> float:
        """Length of one window."""
        return len(self.users) * self.step_seconds


@dataclass
class Step:
    """What one step of a window measured."""

    users: int
    requests: int
    failures: int
    rps: float  # successful requests per second
    p50_ms: float
    p95_ms: float
    qualifies: bool = False

    @property
    def error_rate(self) -> float:
        """Failed / all requests (1.0 when nothing was answered)."""
        return self.failures / self.requests if self.requests else 1.0


@dataclass
class Window:
    """One window: its steps and capacity, or why it produced nothing."""

    steps: list[Step] = field(default_factory=list)
    problem: str | None = None
    answered_200: int = 0  # every request of the window (ramps too) answered 200
    no_answer: int = 0  # ... that got no HTTP answer (timeout, reset): the client abandoned it

    @property
    def capacity(self) -> float:
        """The highest successful RPS among qualifying steps."""
        return max((s.rps for s in self.steps if s.qualifies), default=0.0)

    @property
    def requests(self) -> int:
        """All requests of the window."""
        return sum(s.requests for s in self.steps)

    @property
    def error_rate(self) -> float:
        """Failed / all requests over the whole window."""
        total = self.requests
        return sum(s.failures for s in self.steps) / total if total else 1.0


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cut_into_steps(samples: list[list[float]], schedule: Schedule) -> list[Step]:
    """Per-step figures from ``(end time, response ms, ok)`` samples; ramps excluded."""
    steps = []
    measured = schedule.step_seconds * (1 - RAMP_SHARE)
    for index, users in enumerate(schedule.users):
        begin = index * schedule.step_seconds + schedule.step_seconds * RAMP_SHARE
        end = (index + 1) * schedule.step_seconds
        inside = [s for s in samples if begin <= s[0] < end]
        times = [s[1] for s in inside]
        failures = sum(1 for s in inside if not s[2])
        step = Step(
            users=users,
            requests=len(inside),
            failures=failures,
            rps=round((len(inside) - failures) / measured, 2),
            p50_ms=round(_percentile(times, 0.50), 1),
            p95_ms=round(_percentile(times, 0.95), 1),
        )
        step.qualifies = (
            step.requests > 0
            and step.error_rate <= schedule.max_error_rate
            and step.p95_ms <= schedule.p95_bound_ms
        )
        steps.append(step)
    return steps


def warm_up(
    base_url: str, namespace: str | None, customers: list[dict[str, Any]], requests: int = 20
) -> tuple[int, int]:
    """A few sequential requests first, so first-call costs (imports, caches) are not measured.

    Returns (answered 200, got no answer): a service that stores predictions stored those too.
    """

    def send() -> tuple[int, int]:
        ok = 0
        with httpx.Client(base_url=base_url, timeout=5.0) as client:
            for customer in customers[:requests]:
                try:
                    ok += client.post("/predict", json=customer).status_code == 200
                except httpx.HTTPError:
                    return ok, 1
        return ok, 0

    return netns.call_in(namespace, send)


def run_window(
    base_url: str, namespace: str | None, customers: list[dict[str, Any]], schedule: Schedule
) -> Window:
    """One locust window of the whole schedule, cut into steps."""
    with tempfile.TemporaryDirectory(prefix="grader-load-") as tmp:
        data, samples = Path(tmp) / "customers.json", Path(tmp) / "samples.json"
        data.write_text(json.dumps(customers))
        argv = [
            *(netns.exec_prefix(namespace) if namespace else []),
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            base_url,
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
            "GRADER_LOAD_SAMPLES": str(samples),
            "GRADER_LOAD_STEPS": ",".join(str(u) for u in schedule.users),
            "GRADER_LOAD_STEP_SECONDS": str(schedule.step_seconds),
            "GRADER_LOAD_TIMEOUT": str(schedule.timeout_s),
            "PYTHONPATH": "",
        }
        result = run_trusted(argv, Path(tmp), env, timeout=schedule.window_seconds + 60)
        try:
            recorded = json.loads(samples.read_text())
        except (OSError, ValueError):
            return Window(
                problem=f"locust produced no results (exit {result.returncode}): {result.tail(5)}"
            )
    statuses = [int(s[3]) if len(s) > 3 else -1 for s in recorded]
    return Window(
        cut_into_steps(recorded, schedule),
        answered_200=statuses.count(200),
        no_answer=statuses.count(0),
    )


@dataclass
class Measurement:
    """The best of a service's windows, and the spread between them."""

    windows: list[Window]
    warm_up: tuple[int, int] = (0, 0)  # (answered 200, no answer) before the windows

    @property
    def answered_200(self) -> int:
        """Requests answered 200, warm-up included."""
        return self.warm_up[0] + sum(w.answered_200 for w in self.windows)

    @property
    def no_answer(self) -> int:
        """Requests that got no HTTP answer, warm-up included."""
        return self.warm_up[1] + sum(w.no_answer for w in self.windows)

    @property
    def problem(self) -> str | None:
        """Why no window produced results (None if one did)."""
        if any(w.problem is None for w in self.windows):
            return None
        return self.windows[0].problem if self.windows else "no window ran"

    @property
    def best(self) -> Window:
        """The window with the highest capacity."""
        good = [w for w in self.windows if w.problem is None]
        return max(good, key=lambda w: w.capacity) if good else Window(problem=self.problem)

    @property
    def capacity(self) -> float:
        """Best capacity over the windows (robust to a window disturbed by other work)."""
        return self.best.capacity

    @property
    def spread(self) -> float:
        """(max - min) / max of the windows' capacities: how noisy the measurement was."""
        values = [w.capacity for w in self.windows if w.problem is None]
        return (
            round((max(values) - min(values)) / max(values), 3) if values and max(values) else 0.0
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: capacity, spread and every window's steps."""
        return {
            "capacity_rps": self.capacity,
            "spread": self.spread,
            "windows": [
                {"capacity_rps": w.capacity, "steps": [asdict(s) for s in w.steps]}
                for w in self.windows
            ],
        }


def measure(
    base_url: str, namespace: str | None, customers: list[dict[str, Any]], schedule: Schedule
) -> Measurement:
    """Warm the service up, then run ``schedule.windows`` windows."""
    warmed = warm_up(base_url, namespace, customers)
    return Measurement(
        [run_window(base_url, namespace, customers, schedule) for _ in range(schedule.windows)],
        warm_up=warmed,
    )
