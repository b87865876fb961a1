"""``grader batch``: grade a class from directories or a submissions file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.app import HomeworkArg, LoadSecondsOpt, SkipLoadOpt, SuitesOpt, app, err, out
from grader.errors import UsageError


@app.command()
def batch(
    homework: HomeworkArg,
    paths: Annotated[
        list[str] | None, typer.Argument(help="Submission directories (student id = dir name).")
    ] = None,
    submissions: Annotated[
        Path | None, typer.Option(help="CSV: student_id,repository,ref.")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where reports and the gradebook go.")
    ] = Path("grades"),
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Submissions graded at once.")] = 2,
    suites: SuitesOpt = None,
    load_seconds: LoadSecondsOpt = None,
    skip_load: SkipLoadOpt = False,
    allow_partial_isolation: Annotated[
        bool,
        typer.Option(
            "--allow-partial-isolation",
            help="Grade below full isolation anyway (recorded in every report and the gradebook).",
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Grade only shard K of N (K/N): students sorted by id, dealt round-robin. "
            "Join the shards' gradebooks with `grader merge`.",
        ),
    ] = None,
    similarity: Annotated[
        bool,
        typer.Option(
            "--similarity",
            help="Also write similarity-HW.csv/.html (shared code, identical failures).",
        ),
    ] = False,
) -> None:
    """Grade many submissions (all checks); write per-student reports and gradebook-HW.csv."""
    from grader.cli.similarity import default_starter
    from grader.course.config import load_course_config
    from grader.grading.batch import (
        SimilarityRequest,
        SubmissionRef,
        read_submissions_file,
        run_batch,
    )
    from grader.grading.context import Options
    from grader.grading.shard import parse_shard, select_shard
    from grader.progress import make_progress

    refs = read_submissions_file(submissions) if submissions else []
    for raw in paths or []:
        path = Path(raw)
        if not path.is_dir():
            raise UsageError(f"not a directory: {raw}")
        refs.append(SubmissionRef(path.resolve().name, str(path.resolve())))
    if not refs:
        raise UsageError("nothing to grade: give submission directories or --submissions FILE")
    if len({r.student_id for r in refs}) != len(refs):
        raise UsageError("two submissions share a student id (directory name)")
    if shard:
        index, count = parse_shard(shard)
        refs = select_shard(refs, index, count, key=lambda r: r.student_id)
        if not refs:
            raise UsageError(f"shard {shard} is empty: fewer students than shards")
        if similarity:
            raise UsageError(
                "--similarity compares the whole class: run `grader similarity` after merging"
            )
    course = load_course_config()
    report, finish = make_progress(f"batch {homework}", err)
    try:
        rows = run_batch(
            homework,
            refs,
            out_dir,
            Options("grade", load_seconds, skip_load, suites, allow_partial_isolation),
            jobs,
            report,
            course.hidden_feedback,
            course.site_url,
            SimilarityRequest(course.similarity, default_starter(homework)) if similarity else None,
        )
    finally:
        finish()
    for row in rows:
        out.print(
            f"{row['student_id']:<24} {row['points']:>6} / {row['max_points'] or '-':<6} {row['status']}",
            markup=False,
            highlight=False,
        )
    err.print(f"gradebook: {out_dir / f'gradebook-{homework}.csv'}")


@app.command()
def collect(
    homework: HomeworkArg,
    reports_dir: Annotated[
        Path, typer.Argument(help="Directory holding <student>/report.json files.")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="The gradebook CSV to write.")] = Path(
        "gradebook.csv"
    ),
) -> None:
    """Build a homework gradebook CSV from JSON reports (e.g. the regrade workflow's artifacts)."""
    import json

    from grader.course.gradebook import gradebook_row, write_gradebook
    from grader.report.model import Report

    if not reports_dir.is_dir():
        raise UsageError(f"not a directory: {reports_dir}")
    rows = []
    for path in sorted(reports_dir.rglob("report.json")):
        try:
            report = Report.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UsageError(f"unreadable report {path}: {exc}") from exc
        if report.homework != homework:
            continue
        rows.append(
            gradebook_row(
                report,
                report.student_id,
                homework,
                report.repository,
                report_path=str(path.relative_to(reports_dir)),
            )
        )
    if not rows:
        raise UsageError(f"no {homework} reports under {reports_dir}")
    write_gradebook(out_path, rows)
    err.print(f"gradebook with {len(rows)} students: {out_path}")


@app.command()
def merge(
    homework: HomeworkArg,
    gradebooks: Annotated[list[Path], typer.Argument(help="The shards' gradebook CSVs.")],
    out_path: Annotated[Path, typer.Option("--out", help="The joined gradebook CSV.")] = Path(
        "gradebook.csv"
    ),
) -> None:
    """Join shard gradebooks of one homework (from `batch --shard K/N`) into one gradebook."""
    from grader.course.gradebook import merge_gradebooks, write_gradebook

    rows = merge_gradebooks(gradebooks)
    wrong = sorted({row["homework"] for row in rows} - {homework})
    if wrong:
        raise UsageError(f"the gradebooks are for {', '.join(wrong)}, not {homework}")
    write_gradebook(out_path, rows)
    err.print(f"gradebook with {len(rows)} students from {len(gradebooks)} shard(s): {out_path}")
