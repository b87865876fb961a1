"""``grader grade``, ``grader check`` and ``grader rubric``: one submission, one homework."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from grader.cli.app import (
    FailUnderOpt,
    HomeworkArg,
    JsonOpt,
    LoadSecondsOpt,
    OutOpt,
    PathArg,
    SkipLoadOpt,
    SuitesOpt,
    app,
    err,
    out,
)
from grader.errors import UsageError

if TYPE_CHECKING:
    from rich.table import Table

    from grader.report.model import Report

COLOURS = {"passed": "green", "failed": "red", "error": "magenta", "skipped": "yellow"}
FIX_LINES = 6  # lines of each failed check's feedback shown on the console


def score_table(report: Report) -> Table:
    """The score table printed after grading."""
    from rich.table import Table

    table = Table(
        title=f"{report.homework} — {report.student_id}: {report.points:g} / {report.max_points:g}"
    )
    for name, justify in (("Check", "left"), ("Stage", "left"), ("Points", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("Status")
    for c in report.checks:
        colour = COLOURS[c.status]
        table.add_row(
            c.id, c.stage, f"{c.points:g}/{c.max_points:g}", f"[{colour}]{c.status}[/{colour}]"
        )
    return table


def print_what_to_fix(report: Report, audience: str, hidden_policy: str, site_url: str) -> None:
    """Each check that did not pass: its first lines of feedback, the lecture that teaches it, its FAQ entry."""
    from grader.report.render import faq_link, what_to_fix

    items = what_to_fix(report, audience, hidden_policy, site_url)
    if not items:
        return
    out.print("\n[bold]What to fix[/bold]")
    for check, text, link in items:
        out.print(f"\n[{COLOURS[check.status]}]{check.id}[/] ({check.status})", highlight=False)
        lines = text.strip().splitlines()
        for line in lines[:FIX_LINES]:
            out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        if len(lines) > FIX_LINES:
            out.print(f"  ... ({len(lines) - FIX_LINES} more lines in report.md)", markup=False)
        if link:
            out.print(f"  read: {link}", markup=False, highlight=False, soft_wrap=True)
        if faq := faq_link(check, site_url):
            out.print(f"  FAQ: {faq}", markup=False, highlight=False, soft_wrap=True)


def _grade(
    mode: str,
    homework: str,
    path: str,
    out_dir: Path | None,
    options: dict,
    fail_under: float | None,
    student_id: str,
    as_json: bool,
) -> None:
    from grader.course.config import load_course_config
    from grader.grading.context import Options
    from grader.grading.pipeline import grade_submission
    from grader.progress import make_progress
    from grader.report.directory import ReportDirectory
    from grader.report.render import authority_note, write_reports
    from grader.rubric import load_rubric
    from grader.submission import resolve_source

    source = resolve_source(path)
    load_rubric(homework, options.get("suites"))  # an unknown homework is a usage error, now
    course = load_course_config()
    reports = ReportDirectory.create(out_dir) if out_dir is not None else None
    report_progress, finish = make_progress(f"{homework} {source.name}", err)
    try:
        report = grade_submission(
            homework,
            source,
            options=Options(mode=mode, **options),
            student_id=student_id,
            progress=report_progress,
        )
    finally:
        finish()
    audience = "instructor" if mode == "grade" else "student"
    if reports is not None:
        with reports:
            paths = write_reports(
                report, reports, audience, course.hidden_feedback, course.site_url
            )
        err.print(f"reports written to {paths['json'].parent}")
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        if note := authority_note(report):
            out.print(f"[bold yellow]{note}[/bold yellow]")
        out.print(score_table(report))
        print_what_to_fix(report, audience, course.hidden_feedback, course.site_url)
    percent = 100 * report.points / report.max_points if report.max_points else 0.0
    if fail_under is not None and percent < fail_under:
        err.print(f"score {percent:.1f}% is below --fail-under {fail_under:g}%")
        raise typer.Exit(1)


@app.command()
def grade(
    homework: HomeworkArg,
    path: PathArg,
    out_dir: OutOpt = None,
    suites: SuitesOpt = None,
    load_seconds: LoadSecondsOpt = None,
    skip_load: SkipLoadOpt = False,
    fail_under: FailUnderOpt = None,
    student_id: Annotated[str, typer.Option(help="Student id for the report.")] = "",
    as_json: JsonOpt = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="An empty database of yours (postgresql+psycopg://...) instead of the per-job "
            "PostgreSQL; it must be reachable from the job (with network namespaces: its private "
            "loopback). The fault injection is then skipped.",
        ),
    ] = None,
    require_full_isolation: Annotated[
        bool,
        typer.Option(
            "--require-full-isolation",
            help="Refuse to grade below full isolation (the instructor's regrade uses this).",
        ),
    ] = False,
) -> None:
    """Grade a submission with ALL checks (authoritative at full isolation; says so otherwise)."""
    if require_full_isolation:
        from grader.sandbox import detect_isolation

        isolation = detect_isolation()
        if isolation.level != "full":
            raise UsageError(
                f"refusing to grade at {isolation.level} isolation: " + "; ".join(isolation.notes)
            )
    if database_url is not None and not database_url.startswith("postgresql+psycopg://"):
        raise UsageError("--database-url must look like postgresql+psycopg://USER:PASSWORD@HOST/DB")
    options = {
        "suites": suites,
        "load_seconds": load_seconds,
        "skip_load": skip_load,
        "database_url": database_url,
    }
    _grade("grade", homework, path, out_dir, options, fail_under, student_id, as_json)


@app.command()
def check(
    homework: HomeworkArg,
    path: PathArg = ".",
    out_dir: OutOpt = None,
    suites: SuitesOpt = None,
    load_seconds: LoadSecondsOpt = None,
    skip_load: SkipLoadOpt = False,
    fail_under: FailUnderOpt = None,
    as_json: JsonOpt = False,
    tests_quality: Annotated[
        bool,
        typer.Option(
            "--tests-quality", help="Also plant bugs in your app code and run your tests on them."
        ),
    ] = False,
) -> None:
    """Self-check a submission with the visible checks only (what students and their CI run)."""
    options = {
        "suites": suites,
        "load_seconds": load_seconds,
        "skip_load": skip_load,
        "tests_quality": tests_quality,
    }
    _grade("check", homework, path, out_dir, options, fail_under, "", as_json)


@app.command()
def rubric(
    homework: HomeworkArg,
    suites: SuitesOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown or json")] = "markdown",
) -> None:
    """Print a homework's rubric."""
    from grader.rubric import load_rubric, render_rubric_markdown

    loaded = load_rubric(homework, suites)
    if fmt == "json":
        document = {
            "homework": loaded.homework,
            "title": loaded.title,
            "max_points": loaded.max_points,
            "thresholds": loaded.thresholds,
            "checks": [c.__dict__ for c in loaded.checks],
        }
        print(json.dumps(document, indent=2))
    elif fmt == "markdown":
        print(render_rubric_markdown(loaded), end="")
    else:
        raise UsageError(f"unknown format {fmt!r} (use markdown or json)")
