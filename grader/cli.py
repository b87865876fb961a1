"""The ``grader`` command line: grade, check, batch, final, rubric, export-starter.

Exit codes: 0 graded (whatever the score), 1 ``--fail-under`` not met, 2 usage error or unreadable path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from grader.errors import UsageError
from grader.grading.context import Options
from grader.report.model import Report
from grader.report.render import write_reports

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Grade mlops-course homework submissions.",
)
out = Console()
err = Console(stderr=True)

HomeworkArg = Annotated[str, typer.Argument(help="Homework id, e.g. hw1.")]
PathArg = Annotated[
    str, typer.Argument(help="The submission directory (a checkout of the student repository).")
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Directory for report.json/.md, junit.xml, results.json."),
]
SuitesOpt = Annotated[
    Path | None,
    typer.Option(
        "--suites",
        envvar="GRADER_SUITES_DIR",
        help="A private suites location (default: the shipped suites).",
    ),
]
LoadSecondsOpt = Annotated[
    float | None, typer.Option("--load-seconds", help="Override the load window length.")
]
SkipLoadOpt = Annotated[
    bool, typer.Option("--skip-load", help="Do not run the load stage (reported as skipped).")
]
FailUnderOpt = Annotated[
    float | None, typer.Option("--fail-under", help="Exit 1 when the score (in %) is below.")
]


def score_table(report: Report, audience: str = "instructor") -> Table:
    """The score table printed after grading."""
    table = Table(
        title=f"{report.homework} — {report.student_id}: {report.points:g} / {report.max_points:g}"
    )
    for name, justify in (
        ("Check", "left"),
        ("Stage", "left"),
        ("Points", "right"),
        ("Status", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in report.checks:
        colour = {"passed": "green", "failed": "red", "error": "magenta", "skipped": "yellow"}[
            c.status
        ]
        table.add_row(
            c.id, c.stage, f"{c.points:g}/{c.max_points:g}", f"[{colour}]{c.status}[/{colour}]"
        )
    return table


def _grade(
    mode: str,
    homework: str,
    path: str,
    out_dir: Path | None,
    suites: Path | None,
    load_seconds: float | None,
    skip_load: bool,
    fail_under: float | None,
    student_id: str,
    as_json: bool,
) -> None:
    from grader.course import load_course_config
    from grader.grading.pipeline import grade_submission
    from grader.progress import make_progress
    from grader.submission import resolve_source

    source = resolve_source(path)
    course = load_course_config()
    report_progress, finish = make_progress(f"{homework} {source.name}", err)
    try:
        report = grade_submission(
            homework,
            source,
            options=Options(mode, load_seconds, skip_load, suites),
            student_id=student_id,
            report_dir=out_dir,
            progress=report_progress,
        )
    finally:
        finish()
    audience = "instructor" if mode == "grade" else "student"
    if out_dir is not None:
        paths = write_reports(report, out_dir, audience, course.hidden_feedback)
        err.print(f"reports written to {paths['json'].parent}")
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        out.print(score_table(report, audience))
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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON report instead of the table.")
    ] = False,
) -> None:
    """Grade a submission with ALL checks (the authoritative, instructor grade)."""
    _grade(
        "grade",
        homework,
        path,
        out_dir,
        suites,
        load_seconds,
        skip_load,
        fail_under,
        student_id,
        as_json,
    )


@app.command()
def check(
    homework: HomeworkArg,
    path: PathArg = ".",
    out_dir: OutOpt = None,
    suites: SuitesOpt = None,
    load_seconds: LoadSecondsOpt = None,
    skip_load: SkipLoadOpt = False,
    fail_under: FailUnderOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON report instead of the table.")
    ] = False,
) -> None:
    """Self-check a submission with the visible checks only (what students and their CI run)."""
    _grade(
        "check", homework, path, out_dir, suites, load_seconds, skip_load, fail_under, "", as_json
    )


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
        print(
            json.dumps(
                {
                    "homework": loaded.homework,
                    "title": loaded.title,
                    "max_points": loaded.max_points,
                    "thresholds": loaded.thresholds,
                    "checks": [c.__dict__ for c in loaded.checks],
                },
                indent=2,
            )
        )
    elif fmt == "markdown":
        print(render_rubric_markdown(loaded), end="")
    else:
        raise UsageError(f"unknown format {fmt!r} (use markdown or json)")


def main() -> None:
    """Entry point: one-line errors, never a traceback."""
    from grader import batch_cli, final_cli, starter_cli  # noqa: F401  (register commands)

    try:
        code = app(standalone_mode=False)  # returns typer.Exit's code instead of raising it
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        if hasattr(exc, "show") and hasattr(
            exc, "exit_code"
        ):  # click's (or typer's vendored click's) errors
            exc.show()
            sys.exit(2)
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
