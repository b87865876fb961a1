"""A dry run of a GitHub Actions workflow: its `run` steps execute for real, its tools are stubs.

Jobs run in `needs` order, each `run` script under the shell GitHub uses on Linux
(`bash --noprofile --norc -eo pipefail`). `uv`, `python`, `pip`, `ruff` and `pytest` are stub
scripts on the PATH: they log their command line and succeed, except the one whose command line
contains ``fail_on``, which exits 1. A failing step fails its job unless `continue-on-error` is set;
jobs that need a failed job are skipped. `uses` steps are not executed.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STUBBED = ("uv", "uvx", "python", "python3", "pip", "pip3", "ruff", "pytest")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")

STUB = """#!/bin/bash
line="{name} $*"
echo "$line" >> "$DRY_RUN_LOG"
if [ -n "$DRY_RUN_FAIL_ON" ] && [[ "$line" == *"$DRY_RUN_FAIL_ON"* ]]; then
  echo "stub: failing on purpose: $line" >&2
  exit 1
fi
"""


@dataclass
class DryRun:
    """What happened: the stubbed commands in order, and each job's result."""

    commands: list[str] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)  # name -> success | failure | skipped

    @property
    def green(self) -> bool:
        return all(result == "success" for result in self.jobs.values())


def job_order(jobs: dict[str, Any]) -> list[str]:
    """Job names so that every job comes after the jobs it needs."""
    order: list[str] = []
    pending = dict(jobs)
    while pending:
        ready = [name for name, job in pending.items() if all(dep in order for dep in _needs(job))]
        if not ready:
            raise ValueError(f"jobs with unknown or circular needs: {sorted(pending)}")
        for name in ready:
            order.append(name)
            del pending[name]
    return order


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _env(section: dict[str, Any]) -> dict[str, str]:
    return {k: EXPRESSION.sub("expr", str(v)) for k, v in (section.get("env") or {}).items()}


def dry_run(workflow: dict[str, Any], workdir: Path, fail_on: str = "") -> DryRun:
    """Run the workflow's `run` steps with stubbed tools in ``workdir``."""
    stubs = workdir / "stubs"
    stubs.mkdir(parents=True, exist_ok=True)
    for name in STUBBED:
        path = stubs / name
        path.write_text(STUB.format(name=name))
        path.chmod(0o755)
    log = workdir / "commands.log"
    log.write_text("")
    env = {
        "PATH": f"{stubs}:/usr/bin:/bin",
        "HOME": str(workdir),
        "DRY_RUN_LOG": str(log),
        "DRY_RUN_FAIL_ON": fail_on,
        "CI": "true",
    }
    result = DryRun()
    jobs = workflow.get("jobs", {})
    for name in job_order(jobs):
        job = jobs[name]
        if any(result.jobs.get(dep) != "success" for dep in _needs(job)):
            result.jobs[name] = "skipped"
            continue
        result.jobs[name] = "success"
        for step in job.get("steps", []):
            if "run" not in step:
                continue
            script = EXPRESSION.sub("expr", str(step["run"]))
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=workdir,
                env={**env, **_env(job), **_env(step)},
                capture_output=True,
                text=True,
                timeout=30,
            )
            if done.returncode != 0 and step.get("continue-on-error") is not True:
                result.jobs[name] = "failure"
                break
    result.commands = log.read_text().splitlines()
    return result
