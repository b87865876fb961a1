"""Everything the stages of one grading job share."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.report.model import CheckResult, Status
from grader.rubric import Check, Rubric
from grader.sandbox import Sandbox
from grader.submission import Commands

Progress = Callable[[str], None]


def grader_fault(exc: BaseException) -> str:
    """Feedback for a grader fault: the exception and the innermost grader frame (file:line)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/grader/" in f.filename.replace("\\", "/")] or frames
    where = ""
    if ours:
        frame = ours[-1]
        path = frame.filename.replace("\\", "/")
        short = "grader/" + path.rsplit("/grader/", 1)[-1] if "/grader/" in path else path
        where = f" at {short}:{frame.lineno} in {frame.name}"
    return (
        f"grader error: {type(exc).__name__}: {str(exc)[:300]}{where}. This is the grader's fault, "
        "not yours; please report it. The other checks still ran."
    )


@dataclass
class Options:
    """Knobs of one run (CLI flags)."""

    mode: str = "grade"  # "grade" runs every check; "check" only visible ones
    load_seconds: float | None = None  # override the rubric's load duration (short test profile)
    skip_load: bool = False
    suites: Path | None = None
    allow_partial_isolation: bool = False  # batch: grade below full isolation (recorded)
    tests_quality: bool = False  # check: also run the planted bugs (grade always does)
    database_url: str | None = None  # an instructor's database instead of the per-job server


@dataclass
class GradeContext:
    """State of one job: rubric, contract, sandbox, declared commands, and the results so far."""

    rubric: Rubric
    contract: dict[str, Any]
    options: Options
    sandbox: Sandbox
    commands: Commands
    progress: Progress
    commit: str = "unknown"  # seeds what is generated at grading time (same commit, same cases)
    results: dict[str, CheckResult] = field(default_factory=dict)
    installed: bool = False
    train_problem: str | None = None
    service: Any = None  # grader.service.Service while running
    service_problem: str | None = None  # why the service could not start (it is tried once)
    endpoint_problems: dict[str, str | None] = field(default_factory=dict)  # smoke probes
    calibration: dict[str, Any] | None = None
    load: dict[str, Any] | None = None  # the stress test's figures (submission and calibration)
    suite_green: bool = False  # the student's own suite passed on the unmodified code
    mutation: dict[str, Any] | None = None  # planted bugs: killed, survived, not run
    trace: Any = None  # grader.mutation.run.Trace: the suite's lines, traced once per job
    stage_seconds: dict[str, float] = field(default_factory=dict)
    database: Any = None  # grader.database.JobDatabase when the contract has a database
    database_problem: str | None = None  # why the job's database could not start (tried once)

    @property
    def thresholds(self) -> dict[str, Any]:
        """The rubric's thresholds."""
        return self.rubric.thresholds

    def settings(self, stage: str) -> dict[str, Any]:
        """A stage's settings (sandbox policy defaults, rubric overrides)."""
        return self.rubric.settings(stage)

    def wanted(self, check: Check) -> bool:
        """Does this run include the check? (``check`` mode runs visible checks only.)"""
        return self.options.mode == "grade" or check.visibility == "visible"

    def wanted_any(self, stage: str) -> bool:
        """Does this run include any check of ``stage``?"""
        return any(self.wanted(c) for c in self.rubric.stage_checks(stage))  # type: ignore[arg-type]

    def record(
        self, check_id: str, status: Status, fraction: float, feedback: str, started: float
    ) -> None:
        """Store a check's result; points are the fraction of its maximum (0 unless passed/partial)."""
        check = self.rubric.check(check_id)
        fraction = min(max(fraction, 0.0), 1.0) if status in ("passed", "failed") else 0.0
        self.results[check_id] = CheckResult(
            id=check.id,
            title=check.title,
            stage=check.stage,
            visibility=check.visibility,
            status=status,
            points=round(check.points * fraction, 2),
            max_points=check.points,
            feedback=feedback.strip(),
            duration_s=round(time.monotonic() - started, 3),
            lecture=check.lecture_path(),
            faq=check.faq_path(),
        )

    def passed(self, check_id: str, feedback: str = "", started: float | None = None) -> None:
        """Full points."""
        self.record(check_id, "passed", 1.0, feedback, started or time.monotonic())

    def failed(
        self, check_id: str, feedback: str, fraction: float = 0.0, started: float | None = None
    ) -> None:
        """No (or partial) points, with feedback the student can act on."""
        self.record(check_id, "failed", fraction, feedback, started or time.monotonic())

    def error(self, check_id: str, exc: BaseException, started: float) -> None:
        """A grader fault inside one check: that check is ``error``, naming the grader's file and line."""
        self.record(check_id, "error", 0.0, grader_fault(exc), started)

    def fail_stage(self, stage: str, reason: str) -> None:
        """Mark every wanted, not yet recorded check of ``stage`` failed with the same reason."""
        for check in self.rubric.stage_checks(stage):  # type: ignore[arg-type]
            if self.wanted(check) and check.id not in self.results:
                self.failed(check.id, reason)

    def skip_stage(self, stage: str, reason: str) -> None:
        """Mark every wanted, not yet recorded check of ``stage`` skipped (awards nothing)."""
        for check in self.rubric.stage_checks(stage):  # type: ignore[arg-type]
            if self.wanted(check) and check.id not in self.results:
                self.results[check.id] = CheckResult.skipped(check, reason)
