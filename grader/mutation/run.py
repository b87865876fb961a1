"""Run the student's own test suite against a sample of mutants, inside the job's sandbox.

Validity first: the suite must pass on the unmutated code (``tests.student`` found that out) and
must not fail on a null mutant; a suite that fails on one reacts to the text of the code rather than
its behaviour. Each mutant is written into the job's copy, the suite runs with ``-x`` (the first
failure is enough), and the original file is put back before the next one. Mutants not reached
within the time budget are left out and reported.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.mutation.mutants import MISCONCEPTIONS, Mutant
from grader.sandbox.runner import Sandbox


@dataclass
class MutationResult:
    """Which mutants the suite killed, which survived, and what was not run."""

    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    nulls_failed: list[Mutant] = field(default_factory=list)
    nulls_passed: list[Mutant] = field(default_factory=list)
    not_run: int = 0
    seconds: float = 0.0

    @property
    def run(self) -> int:
        """Real (non-null) mutants run."""
        return len(self.killed) + len(self.survived)

    @property
    def kill_share(self) -> float:
        """Killed / run (0 when none ran)."""
        return len(self.killed) / self.run if self.run else 0.0

    def missed(self) -> dict[str, list[str]]:
        """Surviving mutants by misconception name."""
        by_name: dict[str, list[str]] = {}
        for mutant in self.survived:
            by_name.setdefault(MISCONCEPTIONS[mutant.operator], []).append(mutant.describe())
        return by_name


def _write_as(path: Path, text: str, uid: int | None) -> None:
    path.write_text(text, encoding="utf-8")
    if uid is not None:
        os.chown(path, uid, uid)


def run_mutants(
    box: Sandbox,
    argv: list[str],
    mutants: list[Mutant],
    per_run_s: float,
    budget_s: float,
    env: dict[str, str] | None = None,
) -> MutationResult:
    """Run ``argv`` (the student's pytest) once per mutant; the job's copy is restored after each."""
    result = MutationResult()
    started = time.monotonic()
    for index, mutant in enumerate(mutants):
        remaining = budget_s - (time.monotonic() - started)
        if remaining < min(per_run_s, 5.0):
            result.not_run = len([m for m in mutants[index:] if not m.null])
            break
        path = box.src / mutant.path
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if original[mutant.start : mutant.end] != mutant.original:
            continue  # the file changed since the mutants were found (e.g. by the student's tests)
        _write_as(path, mutant.apply(original), box.uid)
        try:
            outcome = box.run(argv, env=env, limits=box.limits.with_wall(min(per_run_s, remaining)))
        finally:
            _write_as(path, original, box.uid)
        failed = outcome.timed_out or outcome.returncode != 0
        if mutant.null:
            (result.nulls_failed if failed else result.nulls_passed).append(mutant)
        else:
            (result.killed if failed else result.survived).append(mutant)
    result.seconds = round(time.monotonic() - started, 1)
    return result
