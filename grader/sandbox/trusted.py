"""Run a grader-owned tool (uv, ruff, locust) with a timeout and capped output, outside the sandbox."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from grader.sandbox.output import CappedOutput
from grader.sandbox.runner import ProcessResult


def run_trusted(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    output_bytes: int = 100_000,
) -> ProcessResult:
    """Run to completion; a timeout kills the tool's whole process group."""
    start = time.monotonic()
    try:
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return ProcessResult(None, False, f"could not start {argv[0]}: {exc}", 0, False, 0.0)
    output = CappedOutput(popen.stdout, output_bytes)  # type: ignore[arg-type]
    timed_out = False
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()
    output.join()
    return ProcessResult(
        None if timed_out else popen.returncode,
        timed_out,
        output.text(),
        output.total_bytes,
        output.truncated,
        round(time.monotonic() - start, 3),
    )
