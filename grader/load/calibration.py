"""Measure the calibration service: once per grader process (``grade``; once per ``batch``).

The calibration service (:mod:`grader.calibration.app`) is a plain, reasonable implementation of
the hw1 contract; its capacity under the same stress schedule, on the same machine, is what a
submission's capacity is compared with. A rubric picks the variant in ``[stages.load]
calibration`` (the sandbox policy's default is ``plain``): hw3's ``instrumented`` service
(:mod:`grader.calibration.instrumented`) carries the metrics, request ids and one JSON log line
per request that hw3 requires of a submission. Its log lines go to the process's output pipe,
which the sandbox drains in a thread keeping only a bounded head and tail, exactly as it does for
a submission's service. ``check`` (a student's self-check) may reuse a measurement cached on disk
per machine, grader version, variant and schedule.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.grading.locks import exclusive_load
from grader.load.run import Measurement, Schedule, Step, Window, measure
from grader.sandbox.capabilities import Isolation
from grader.sandbox.policy import load_sandbox_policy
from grader.sandbox.runner import Sandbox
from grader.service import Service, StartupError, start_service
from grader.version import GRADER_VERSION


@dataclass(frozen=True)
class Variant:
    """A calibration service a rubric can name in ``[stages.load] calibration``."""

    app: str  # the ASGI application uvicorn serves
    description: str  # how the course site names it


VARIANTS = {
    "plain": Variant("grader.calibration.app:app", "a plain implementation of the contract"),
    "instrumented": Variant(
        "grader.calibration.instrumented:app",
        "a plain implementation with the metrics, request ids and one JSON log line per request "
        "that the homework requires",
    ),
}
DEFAULT_VARIANT = "plain"
_CACHE: dict[tuple[str, Schedule], Measurement] = {}


def calibration_variant(settings: dict[str, Any]) -> str:
    """The variant a load stage's settings name (``calibration``); UsageError for an unknown one."""
    variant = settings.get("calibration", DEFAULT_VARIANT)
    if variant not in VARIANTS:
        raise UsageError(
            f"[stages.load] calibration = {variant!r} is not a calibration service "
            f"(known: {', '.join(VARIANTS)})"
        )
    return str(variant)


def cache_file(schedule: Schedule, variant: str = DEFAULT_VARIANT) -> Path:
    """Where ``check`` keeps a calibration: per machine, grader version, variant and schedule."""
    machine_id = Path("/etc/machine-id")
    machine = machine_id.read_text().strip() if machine_id.is_file() else ""
    key = json.dumps(
        [
            machine,
            platform.node(),
            os.cpu_count(),
            GRADER_VERSION,
            variant,
            dataclasses.asdict(schedule),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    root = Path(os.environ.get("GRADER_CACHE_DIR", Path.home() / ".cache" / "mlops-course-grader"))
    return root / f"calibration-{digest}.json"


def _from_dict(data: dict[str, Any]) -> Measurement:
    windows = []
    for w in data["windows"]:
        steps = []
        for s in w["steps"]:
            qualifies = s.pop("qualifies", False)
            steps.append(Step(**s, qualifies=qualifies))
        windows.append(Window(steps))
    return Measurement(windows)


def _read_cached(schedule: Schedule, variant: str) -> Measurement | None:
    try:
        return _from_dict(json.loads(cache_file(schedule, variant).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


@contextmanager
def running_calibration(isolation: Isolation, variant: str = DEFAULT_VARIANT) -> Iterator[Service]:
    """The calibration service ``variant``, healthy, under the job's network conditions.

    Our own code: no bubblewrap and no uid switch, but the same network namespace arrangement as a
    submission's service. Its output (the instrumented variant's log lines) is drained and capped
    by the sandbox like a submission's. StartupError if it never became healthy.
    """
    trusted = dataclasses.replace(isolation, bwrap=None, drop_user=False)
    with tempfile.TemporaryDirectory(prefix="grader-calibration-") as tmp:
        box = Sandbox(Path(tmp), trusted)
        box.prepare_dirs()
        try:
            serve = [
                sys.executable,
                "-m",
                "uvicorn",
                VARIANTS[variant].app,
                "--host",
                "{host}",
                "--port",
                "{port}",
                "--log-level",
                "warning",
            ]
            env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONPATH": ""}
            startup_s = float(
                load_sandbox_policy().stage_settings("load")["calibration_startup_timeout_s"]
            )
            yield start_service(box, serve, startup_s, env_extra=env)
        finally:
            box.close()


def measure_calibration(
    isolation: Isolation,
    schedule: Schedule,
    customers: list[dict[str, Any]],
    hold_lock: bool = True,
    reuse_cached: bool = False,
    variant: str = DEFAULT_VARIANT,
) -> Measurement:
    """Start the calibration service ``variant`` under the same network conditions and stress it.

    ``reuse_cached`` (``check``) returns the on-disk measurement for this machine, grader version
    and variant when there is one, and stores a fresh one otherwise.
    """
    calibration_variant({"calibration": variant})
    key = (variant, schedule)
    if key in _CACHE:
        return _CACHE[key]
    if reuse_cached and (cached := _read_cached(schedule, variant)) is not None:
        _CACHE[key] = cached
        return cached
    try:
        with running_calibration(isolation, variant) as service:
            if hold_lock:
                with exclusive_load():
                    result = measure(service.base_url, service.netns, customers, schedule)
            else:
                result = measure(service.base_url, service.netns, customers, schedule)
    except StartupError as exc:
        result = Measurement([Window(problem=f"calibration failed: {exc}")])
    if result.problem is None:
        _CACHE[key] = result
        if reuse_cached:
            path = cache_file(schedule, variant)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result.as_dict()))
    return result
