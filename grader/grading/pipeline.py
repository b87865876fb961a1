"""Grade one submission: copy it, run the stages in order under the sandbox, build the report."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
import traceback
from pathlib import Path

from grader.contracts import load_contract
from grader.grading.context import GradeContext, Options, Progress
from grader.grading.locks import shared_stage
from grader.paths import PACKAGE_DIR, suites_dir
from grader.report.model import Report
from grader.rubric import load_rubric
from grader.sandbox import Sandbox, detect_isolation
from grader.stages.hidden import run_hidden
from grader.stages.install import run_install, uv_cache_dir
from grader.stages.load import run_load_stage
from grader.stages.static import run_static
from grader.stages.tests import run_tests
from grader.submission import SubmissionError, copy_submission, git_identity, read_commands
from grader.version import GRADER_VERSION

STAGES = (
    ("install", run_install),
    ("static", run_static),
    ("tests", run_tests),
    ("hidden", run_hidden),
)


def _course_checkout() -> Path | None:
    """The course repository the grader runs from, if any (masked from submissions)."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "homework").is_dir() else None


def grade_submission(
    homework: str,
    source: Path,
    *,
    options: Options | None = None,
    student_id: str = "",
    repository: str = "",
    commit: str | None = None,
    submitted_at: str | None = None,
    report_dir: Path | None = None,
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
    masked = [
        p
        for p in (
            PACKAGE_DIR,
            suites_dir(options.suites),
            _course_checkout(),
            report_dir,
            uv_cache_dir(),
        )
        if p is not None
    ]
    workdir = Path(tempfile.mkdtemp(prefix="grader-job-"))
    box = Sandbox(workdir, isolation, masked=masked)
    ctx: GradeContext | None = None
    try:
        copy_problem = None
        try:
            copy_submission(source, box.src)
        except (SubmissionError, OSError) as exc:
            copy_problem = str(exc)
        box.prepare_dirs()
        ctx = GradeContext(rubric, contract, options, box, read_commands(box.src), progress)
        if copy_problem:
            for stage in ("install", "static", "tests", "hidden", "load"):
                ctx.fail_stage(stage, f"not graded: {copy_problem}")
        else:
            _run_stages(ctx)
    finally:
        if ctx is not None and ctx.service is not None:
            ctx.service.process.stop()
        box.close()
        shutil.rmtree(workdir, ignore_errors=True)
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
        isolation=isolation.as_dict(),
        calibration=ctx.calibration,
        started_at=started_at,
        duration_s=round(time.monotonic() - t0, 2),
        checks=ordered,
        submitted_at=submitted_at or git_time,
        stage_seconds=ctx.stage_seconds,
    )


def _run_stages(ctx: GradeContext) -> None:
    """Run every stage in order. Stage times count work only, not waiting for another job's load window."""
    for name, stage in STAGES:
        with shared_stage():
            started = time.monotonic()
            _guarded(ctx, name, stage)
            ctx.stage_seconds[name] = round(time.monotonic() - started, 3)
    _guarded(ctx, "load", run_load_stage)  # takes the exclusive lock itself and records its window


def _guarded(ctx: GradeContext, name: str, stage) -> None:
    try:
        stage(ctx)
    except Exception:  # a grader fault must not hide the rest of the report
        detail = traceback.format_exc(limit=3)
        for check in ctx.rubric.stage_checks(name):  # type: ignore[arg-type]
            if ctx.wanted(check) and check.id not in ctx.results:
                ctx.record(
                    check.id,
                    "error",
                    0.0,
                    f"grader error in stage {name}; please report it:\n{detail}",
                    time.monotonic(),
                )
