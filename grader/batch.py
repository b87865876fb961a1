"""Grade a class: many submissions in parallel, the load windows one at a time."""

from __future__ import annotations

import csv
import re
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.gradebook import gradebook_row, write_gradebook
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.model import Report
from grader.report.render import write_reports

SAFE_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


@dataclass(frozen=True)
class SubmissionRef:
    """One line of a submissions file, or a directory given on the command line."""

    student_id: str
    repository: str
    ref: str = ""


def read_submissions_file(path: Path) -> list[SubmissionRef]:
    """CSV with a header ``student_id,repository,ref`` (ref optional)."""
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise UsageError(f"cannot read submissions file {path}: {exc.strerror}") from exc
    refs = []
    for number, row in enumerate(rows, start=2):
        student, repo = (row.get("student_id") or "").strip(), (row.get("repository") or "").strip()
        if not SAFE_ID.match(student) or not repo:
            raise UsageError(
                f"{path}:{number}: need a student_id (letters, digits, ._@-) and a repository"
            )
        refs.append(SubmissionRef(student, repo, (row.get("ref") or "").strip()))
    if len({r.student_id for r in refs}) != len(refs):
        raise UsageError(f"{path}: duplicate student_id")
    return refs


def fetch(ref: SubmissionRef, into: Path) -> Path:
    """A local directory for the submission: the directory itself, or a fresh clone at ``ref``."""
    local = Path(ref.repository)
    if local.is_dir() and not ref.ref:
        return local
    target = into / ref.student_id
    git = ["git", "-c", "core.hooksPath=/dev/null", "-c", "protocol.file.allow=always"]
    subprocess.run(
        [*git, "clone", "--quiet", ref.repository, str(target)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    if ref.ref:
        subprocess.run(
            [*git, "-C", str(target), "checkout", "--quiet", ref.ref],
            check=True,
            capture_output=True,
            timeout=60,
        )
    return target


def run_batch(
    homework: str,
    refs: list[SubmissionRef],
    out_dir: Path,
    options: Options,
    jobs: int,
    progress: Callable[[str], None],
    hidden_policy: str = "full",
) -> list[dict[str, str]]:
    """Grade every submission (``jobs`` at a time), write per-student reports and the gradebook CSV."""
    if options.mode == "grade" and not options.skip_load:
        _calibrate_once(homework, options, progress)
    rows: list[dict[str, str]] = []

    def one(ref: SubmissionRef) -> dict[str, str]:
        with tempfile.TemporaryDirectory(prefix="grader-fetch-") as tmp:
            try:
                source = fetch(ref, Path(tmp))
            except (subprocess.SubprocessError, OSError) as exc:
                progress(f"{ref.student_id}: could not fetch {ref.repository}")
                detail = getattr(exc, "stderr", b"") or b""
                message = detail.decode(errors="replace").strip().splitlines()[-1:] or [
                    type(exc).__name__
                ]
                return gradebook_row(None, ref.student_id, homework, ref.repository, message[0])
            report: Report = grade_submission(
                homework,
                source,
                options=options,
                student_id=ref.student_id,
                repository=ref.repository,
                report_dir=out_dir,
                progress=lambda m: progress(f"{ref.student_id}: {m}"),
            )
        paths = write_reports(report, out_dir / ref.student_id, "instructor", hidden_policy)
        progress(f"{ref.student_id}: {report.points:g} / {report.max_points:g}")
        return gradebook_row(
            report,
            ref.student_id,
            homework,
            ref.repository,
            report_path=str(paths["json"].relative_to(out_dir)),
        )

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(one, refs))
    write_gradebook(out_dir / f"gradebook-{homework}.csv", rows)
    return rows


def _calibrate_once(homework: str, options: Options, progress: Callable[[str], None]) -> None:
    """Measure the calibration service before any job starts (once per batch)."""
    from grader.checks.holdout import load_holdout
    from grader.load.calibration import measure_calibration
    from grader.rubric import load_rubric
    from grader.sandbox import detect_isolation
    from grader.stages.load import profile_from

    rubric = load_rubric(homework, options.suites)
    if not rubric.stage_checks("load"):
        return
    progress("calibration service: measuring once for this batch")
    customers = [row["customer"] for row in load_holdout(rubric.directory.parent)[:200]]
    measure_calibration(
        detect_isolation(), profile_from(rubric.thresholds, options.load_seconds), customers
    )
