"""Grade one submission: copy it, run the registry's stages in order under the sandbox, build the report."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from grader.contracts import load_contract
from grader.grading.context import GradeContext, Options, Progress
from grader.grading.locks import shared_stage
from grader.report.model import Report
from grader.rubric import load_rubric
from grader.sandbox import Sandbox, detect_isolation
from grader.stages import STAGES, Stage
from grader.stages.interpreter import submission_python
from grader.submission import SubmissionError, copy_submission, git_identity, read_commands
from grader.version import GRADER_VERSION


def _interpreter_prefix(drop_user: bool) -> Path:
    """The installation the job's environment is built on (visible read-only to the job)."""
    return Path(submission_python(drop_user)).resolve().parents[1]


def grade_submission(
    homework: str,
    source: Path,
    *,
    options: Options | None = None,
    student_id: str = "",
    repository: str = "",
    commit: str | None = None,
    submitted_at: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Grade ``source`` for ``homework``; every failure of the submission ends up in the report."""
    options = options or Options()
    progress = progress or (lambda message: None)
    rubric = load_rubric(homework, options.suites)
    contract = load_contract(rubric.contract)
    isolation = detect_isolation()
    git_sha, git_time = git_identity(source)
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    t0 = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="grader-job-"))
    # The package cache stays invisible: environments are hardlinked or copied out of it.
    box = Sandbox(workdir, isolation, read_only=[_interpreter_prefix(isolation.drop_user)])
    ctx: GradeContext | None = None
    try:
        copy_problem = None
        try:
            copy_submission(source, box.src)
        except (SubmissionError, OSError) as exc:
            copy_problem = str(exc)
        box.prepare_dirs()
        ctx = GradeContext(
            rubric, contract, options, box, read_commands(box.src), progress, commit or git_sha
        )
        if copy_problem:
            for stage in STAGES:
                ctx.fail_stage(stage.name, f"not graded: {copy_problem}")
        else:
            for stage in STAGES:
                _run_stage(ctx, stage)
    finally:
        if ctx is not None and ctx.service is not None:
            ctx.service.process.stop()
        if ctx is not None and ctx.database is not None:
            ctx.database.close()
        box.close()
        shutil.rmtree(workdir, ignore_errors=True)
    apply_requirements(ctx)
    ordered = [ctx.results[c.id] for c in rubric.checks if c.id in ctx.results]
    return Report(
        homework=homework,
        mode=options.mode,
        student_id=student_id or source.name,  # type: ignore[arg-type]
        repository=repository or str(source),
        commit=commit or git_sha,
        grader_version=GRADER_VERSION,
        rubric_sha256=rubric.sha256,
        contract_version=str(contract.get("contract_version", "")),
        isolation={**isolation.as_dict(), "override": options.allow_partial_isolation},
        calibration=ctx.calibration,
        started_at=started_at,
        duration_s=round(time.monotonic() - t0, 2),
        checks=ordered,
        submitted_at=submitted_at or git_time,
        stage_seconds=ctx.stage_seconds,
        load=ctx.load,
        mutation=ctx.mutation,
    )


def _run_stage(ctx: GradeContext, stage: Stage) -> None:
    """Run one stage under its lock; stage times count work, not waiting for another job's window.

    A ``shared`` stage runs under the shared lock; an ``exclusive`` stage takes the exclusive lock
    itself around its measurement windows and records their time.
    """
    if not any(ctx.wanted(c) for c in ctx.rubric.stage_checks(stage.name)):
        return
    if stage.lock == "exclusive":
        _guarded(ctx, stage)
        return
    with shared_stage():
        started = time.monotonic()
        _guarded(ctx, stage)
        ctx.stage_seconds[stage.name] = round(time.monotonic() - started, 3)


def _guarded(ctx: GradeContext, stage: Stage) -> None:
    """A grader fault outside any single check marks the stage's unrecorded checks ``error``."""
    try:
        stage.run(ctx)
    except Exception as exc:
        for check in ctx.rubric.stage_checks(stage.name):
            if ctx.wanted(check) and check.id not in ctx.results:
                ctx.error(check.id, exc, time.monotonic())


def apply_requirements(ctx: GradeContext) -> None:
    """A check whose rubric ``requires`` another awards nothing unless that one passed."""
    for check in ctx.rubric.checks:
        result = ctx.results.get(check.id)
        if not check.requires or result is None or result.status not in ("passed", "failed"):
            continue
        needed = ctx.results.get(check.requires)
        if needed is not None and needed.status == "passed":
            continue
        title = ctx.rubric.check(check.requires).title
        ctx.results[check.id] = replace(
            result,
            status="failed",
            points=0.0,
            feedback=f"not judged: it needs {check.requires} to pass first ({title}).\n"
            + result.feedback,
        )
