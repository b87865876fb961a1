"""``grader similarity``: flag pairs of students whose code (or failures) are too alike."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.app import HomeworkArg, app, err, out
from grader.errors import UsageError
from grader.paths import PACKAGE_DIR


def default_starter(homework: str) -> Path | None:
    """The course's starter for ``homework`` (its code is boilerplate), if this checkout has it."""
    matches = sorted((PACKAGE_DIR.parent / "homework").glob(f"{homework}_*/starter"))
    return matches[0] if matches else None


@app.command()
def similarity(
    homework: HomeworkArg,
    class_dir: Annotated[
        Path,
        typer.Argument(help="Directory with one checkout per student (student id = dir name)."),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where similarity-HW.csv and .html go.")
    ] = Path("similarity"),
    starter: Annotated[
        Path | None,
        typer.Option(help="The starter (boilerplate). Default: the course's starter of HW."),
    ] = None,
    reports: Annotated[
        Path | None,
        typer.Option(help="A batch's report directory: adds the identical-failures signal."),
    ] = None,
    course_config: Annotated[
        Path | None, typer.Option(help="Course config ([similarity]).")
    ] = None,
) -> None:
    """Compare every pair of submissions (copydetect winnowing, starter code excluded)."""
    from grader.course.config import load_course_config
    from grader.report.directory import ReportDirectory
    from grader.similarity.analyse import analyse, read_documents, submission_dirs, write_similarity

    settings = load_course_config(course_config).similarity
    starter = starter or default_starter(homework)
    if starter is not None and not starter.is_dir():
        raise UsageError(f"starter is not a directory: {starter}")
    if reports is not None and not reports.is_dir():
        raise UsageError(f"reports is not a directory: {reports}")
    documents = read_documents(submission_dirs(class_dir), settings)
    result = analyse(homework, documents, settings, starter, reports)
    with ReportDirectory.create(out_dir) as directory:
        paths = write_similarity(directory, result, documents)
    for pair in result.flagged:
        out.print(
            f"code       {pair.a} <-> {pair.b}  {pair.similarity:.0%} ({pair.overlap_tokens} tokens)",
            markup=False,
            highlight=False,
        )
    for shared in result.behaviour:
        out.print(
            f"behaviour  {shared.a} <-> {shared.b}  same failures: {', '.join(shared.checks)}",
            markup=False,
            highlight=False,
        )
    if not starter:
        err.print("warning: no starter given or found: shared starter code counts as similar")
    err.print(
        f"{len(result.flagged)} code pair(s), {len(result.behaviour)} behaviour pair(s) flagged "
        f"of {len(result.code_pairs)}: {paths['html']}"
    )
