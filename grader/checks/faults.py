"""Injected faults: the job's database goes away under a steady load, and the service is restarted.

A :class:`SteadyLoad` keeps a few clients posting ``/predict`` in turn and records every answer
(when it was sent, how long it took, its status, the id of a stored record), so what happened in
each phase can be judged afterwards from one record. Start it inside the job's network namespace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from grader.checks.api import Verdict, _json

NO_ANSWER = 0  # status of a request that got no HTTP answer (timeout, refused, reset)


@dataclass(frozen=True)
class Answer:
    """One request of the steady load."""

    sent: float  # monotonic
    seconds: float
    status: int
    record_id: Any = None
    error: str = ""


@dataclass
class SteadyLoad:
    """``users`` clients without think time (plus a small pause), each in its own thread."""

    base_url: str
    customers: list[dict[str, Any]]
    timeout: float
    users: int = 2
    pause_s: float = 0.02
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start the clients (from a thread inside the job's network namespace)."""
        for index in range(self.users):
            thread = threading.Thread(target=self._client, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop the clients; waits for their last requests (bounded by the timeout)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    def _client(self, index: int) -> None:
        n = index
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            while not self._stop.is_set():
                customer = self.customers[n % len(self.customers)]
                n += self.users
                sent = time.monotonic()
                try:
                    response = client.post("/predict", json=customer)
                    doc = _json(response)
                    answer = Answer(
                        sent,
                        time.monotonic() - sent,
                        response.status_code,
                        doc.get("id") if isinstance(doc, dict) else None,
                    )
                except httpx.HTTPError as exc:
                    answer = Answer(
                        sent, time.monotonic() - sent, NO_ANSWER, error=type(exc).__name__
                    )
                with self._lock:
                    self.answers.append(answer)
                time.sleep(self.pause_s)

    def stop_after(self, deadline: float) -> None:
        """Wait (until ``deadline`` at most) for the requests sent before now to be answered."""
        now = time.monotonic()
        while time.monotonic() < deadline:
            with self._lock:
                sent = [a.sent for a in self.answers]
            if len([t for t in sent if t >= now]) >= self.users:  # every client has moved on
                return
            time.sleep(0.1)

    def between(self, start: float, end: float) -> list[Answer]:
        """Answers to requests sent in [start, end)."""
        with self._lock:
            return [a for a in self.answers if start <= a.sent < end]


def describe_answers(answers: list[Answer]) -> str:
    """``12 x 503, 3 x no answer (ReadTimeout)`` for feedback."""
    counts: dict[str, int] = {}
    for a in answers:
        key = f"no answer ({a.error})" if a.status == NO_ANSWER else str(a.status)
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} x {k}" for k, n in sorted(counts.items())) or "no requests"


def judge_outage(
    load_answers: list[Answer],
    probes: dict[str, list[httpx.Response | str]],
    timeout: float,
    alive: bool,
) -> Verdict:
    """While the database is down: /predict a clean 503 in time (half the points), /ready 503 and
    /health 200 (a quarter each); a process that died earns nothing."""
    if not alive:
        return Verdict(
            0.0,
            "the service process died while the database was down: a missing database is a 503, "
            "not a reason to exit (the orchestrator would restart it in a loop)",
        )
    problems, fraction = [], 1.0
    ready = probes["ready"]
    if not ready or any(isinstance(r, str) or r.status_code != 503 for r in ready):
        fraction -= 0.25
        problems.append(
            "GET /ready must answer 503 while the database is unreachable; got " + _statuses(ready)
        )
    health = probes["health"]
    if not health or any(isinstance(r, str) or r.status_code != 200 for r in health):
        fraction -= 0.25
        problems.append(
            "GET /health (liveness) must stay 200 while the database is away; got "
            + _statuses(health)
        )
    predict = load_answers
    bodies = probes["predict"]
    unclean = [a for a in predict if a.status != 503 or a.seconds > timeout]
    unclean += [r for r in bodies if isinstance(r, str) or r.status_code != 503]  # type: ignore[misc]
    if not predict or unclean:
        fraction -= 0.5
        problems.append(
            f"POST /predict while the database was down must answer 503 within {timeout:g} s; "
            f"got {describe_answers(predict)}"
        )
    elif any(
        isinstance(r, str) or not isinstance(_json(r), dict) or "detail" not in _json(r)
        for r in bodies
    ):
        fraction -= 0.25
        problems.append('the 503 body should be the contract\'s Error JSON: {"detail": ...}')
    ok = f"while the database was down: /ready 503, /health 200, /predict {describe_answers(predict)}"
    return Verdict(max(0.0, fraction), "\n".join(problems) or ok)


def _statuses(responses: list[httpx.Response | str]) -> str:
    shown = [r if isinstance(r, str) else str(r.status_code) for r in responses[:5]]
    return ", ".join(shown) or "nothing"


def wait_for_recovery(
    post: Callable[[], httpx.Response | str],
    stored: Callable[[Any], bool],
    bound_s: float,
) -> tuple[float | None, str]:
    """Seconds until a /predict answers 200 and its record is in the database, or None; last seen."""
    started = time.monotonic()
    last = "nothing"
    while time.monotonic() - started < bound_s:
        response = post()
        if isinstance(response, str):
            last = response
        else:
            last = str(response.status_code)
            doc = _json(response)
            record_id = doc.get("id") if isinstance(doc, dict) else None
            if response.status_code == 200 and record_id is not None and stored(record_id):
                return round(time.monotonic() - started, 2), last
        time.sleep(0.25)
    return None, last
