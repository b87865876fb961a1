"""Measure the calibration service once per grader process (i.e. once per batch) and cache it."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader.grading.locks import exclusive_load
from grader.load.run import LoadProfile, LoadResult, run_load
from grader.sandbox.capabilities import Isolation
from grader.sandbox.runner import Sandbox
from grader.service import StartupError, start_service

_CACHE: dict[LoadProfile, LoadResult] = {}


def measure_calibration(
    isolation: Isolation,
    profile: LoadProfile,
    customers: list[dict[str, Any]],
    hold_lock: bool = True,
) -> LoadResult:
    """Start the calibration service under the same network conditions and load it with ``profile``."""
    if profile in _CACHE:
        return _CACHE[profile]
    trusted = dataclasses.replace(
        isolation, bwrap=None, drop_user=False
    )  # our own code: no masking needed
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
            service = start_service(box, serve, 60.0, env_extra=env)
            if hold_lock:
                with exclusive_load():
                    result = run_load(service.base_url, service.netns, customers, profile)
            else:
                result = run_load(service.base_url, service.netns, customers, profile)
        except StartupError as exc:
            result = LoadResult(
                0, 0, 0.0, 0.0, 0.0, 0.0, profile.seconds, problem=f"calibration failed: {exc}"
            )
        finally:
            box.close()
    if result.problem is None:
        _CACHE[profile] = result
    return result
