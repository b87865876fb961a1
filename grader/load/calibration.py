"""Measure the calibration service: once per grader process (``grade``; once per ``batch``).

The calibration service (:mod:`grader.calibration.app`) is a plain, reasonable implementation of
the hw1 contract; its capacity under the same stress schedule, on the same machine, is what a
submission's capacity is compared with. ``check`` (a student's self-check) may reuse a measurement
cached on disk per machine, grader version and schedule.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader.grading.locks import exclusive_load
from grader.load.run import Measurement, Schedule, Step, Window, measure
from grader.sandbox.capabilities import Isolation
from grader.sandbox.policy import load_sandbox_policy
from grader.sandbox.runner import Sandbox
from grader.service import StartupError, start_service
from grader.version import GRADER_VERSION

_CACHE: dict[Schedule, Measurement] = {}


def cache_file(schedule: Schedule) -> Path:
    """Where ``check`` keeps a calibration: per machine, grader version and schedule."""
    machine_id = Path("/etc/machine-id")
    machine = machine_id.read_text().strip() if machine_id.is_file() else ""
    key = json.dumps(
        [machine, platform.node(), os.cpu_count(), GRADER_VERSION, dataclasses.asdict(schedule)]
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


def _read_cached(schedule: Schedule) -> Measurement | None:
    try:
        return _from_dict(json.loads(cache_file(schedule).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def measure_calibration(
    isolation: Isolation,
    schedule: Schedule,
    customers: list[dict[str, Any]],
    hold_lock: bool = True,
    reuse_cached: bool = False,
) -> Measurement:
    """Start the calibration service under the same network conditions and stress it.

    ``reuse_cached`` (``check``) returns the on-disk measurement for this machine and grader
    version when there is one, and stores a fresh one otherwise.
    """
    if schedule in _CACHE:
        return _CACHE[schedule]
    if reuse_cached and (cached := _read_cached(schedule)) is not None:
        _CACHE[schedule] = cached
        return cached
    trusted = dataclasses.replace(isolation, bwrap=None, drop_user=False)  # our own code
    with tempfile.TemporaryDirectory(prefix="grader-calibration-") as tmp:
        box = Sandbox(Path(tmp), trusted)
        box.prepare_dirs()
        try:
            serve = [
                sys.executable,
                "-m",
                "uvicorn",
                "grader.calibration.app:app",
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
            service = start_service(box, serve, startup_s, env_extra=env)
            if hold_lock:
                with exclusive_load():
                    result = measure(service.base_url, service.netns, customers, schedule)
            else:
                result = measure(service.base_url, service.netns, customers, schedule)
        except StartupError as exc:
            result = Measurement([Window(problem=f"calibration failed: {exc}")])
        finally:
            box.close()
    if result.problem is None:
        _CACHE[schedule] = result
        if reuse_cached:
            path = cache_file(schedule)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result.as_dict()))
    return result
