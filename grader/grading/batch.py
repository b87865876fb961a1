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

from grader.course.config import SimilaritySettings
from grader.course.gradebook import gradebook_row, render_gradebook
from grader.errors import UsageError
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.directory import ReportDirectory
from grader.report.model import Report
from grader.report.render import write_reports
from grader.sandbox import detect_isolation
from grader.similarity.analyse import analyse, write_similarity
from grader.similarity.code import Document, read_document


@dataclass(frozen=True)
class SimilarityRequest:
    """``batch --similarity``: the course's settings and the starter whose code is boilerplate."""

    settings: SimilaritySettings
    starter: Path | None


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
    site_url: str = "",
    similarity: SimilarityRequest | None = None,
) -> list[dict[str, str]]:
    """Grade every submission (``jobs`` at a time), write per-student reports and the gradebook CSV.

    A class is graded at full isolation only, unless ``options.allow_partial_isolation`` (recorded
    in every report and the gradebook). The report directory and one subdirectory per student are
    created before any submission runs; the grader refuses directories it did not create.
    With ``similarity``, each fetched submission's code is kept in memory and compared once the
    class is graded (``similarity-HW.csv`` / ``.html`` beside the gradebook).
    """
    isolation = detect_isolation()
    if isolation.level != "full" and not options.allow_partial_isolation:
        raise UsageError(
            f"refusing to grade a class at {isolation.level} isolation ("
            + "; ".join(isolation.notes)
            + "). Run as root with bubblewrap and iproute2 installed, or pass "
            "--allow-partial-isolation (recorded in every report and the gradebook)."
        )
    reports = ReportDirectory.create(out_dir)
    for ref in refs:
        reports.child(ref.student_id).close()
    if options.mode == "grade" and not options.skip_load:
        _calibrate_once(homework, options, progress)
    rows: list[dict[str, str]] = []
    documents: dict[str, Document] = {}

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
            if similarity is not None:
                documents[ref.student_id] = read_document(
                    ref.student_id, source, similarity.settings
                )
            report: Report = grade_submission(
                homework,
                source,
                options=options,
                student_id=ref.student_id,
                repository=ref.repository,
                progress=lambda m: progress(f"{ref.student_id}: {m}"),
            )
        with reports.child(ref.student_id) as directory:
            paths = write_reports(report, directory, "instructor", hidden_policy, site_url)
        progress(f"{ref.student_id}: {report.points:g} / {report.max_points:g}")
        return gradebook_row(
            report,
            ref.student_id,
            homework,
            ref.repository,
            report_path=str(paths["json"].relative_to(out_dir)),
        )

    with reports, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(one, refs))
        reports.write(f"gradebook-{homework}.csv", render_gradebook(rows))
        if similarity is not None and len(documents) >= 2:
            progress("similarity: comparing every pair of submissions")
            result = analyse(
                homework, documents, similarity.settings, similarity.starter, reports.path
            )
            write_similarity(reports, result, documents)
            progress(
                f"similarity: {len(result.flagged)} code pair(s), "
                f"{len(result.behaviour)} behaviour pair(s) flagged"
            )
    return rows


def _calibrate_once(homework: str, options: Options, progress: Callable[[str], None]) -> None:
    """Measure the calibration service before any job starts (once per batch)."""
    from grader.checks.holdout import load_holdout
    from grader.load.calibration import calibration_variant, measure_calibration
    from grader.rubric import load_rubric
    from grader.sandbox import detect_isolation
    from grader.stages.load import schedule_from

    rubric = load_rubric(homework, options.suites)
    if not rubric.stage_checks("load"):
        return
    variant = calibration_variant(rubric.settings("load"))
    progress(f"calibration service ({variant}): measuring once for this batch")
    customers = [row["customer"] for row in load_holdout(rubric.directory.parent)[:200]]
    measure_calibration(
        detect_isolation(),
        schedule_from(rubric, options.load_seconds),
        customers,
        variant=variant,
    )
