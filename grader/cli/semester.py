"""``grader semester``: rehearse a term on a simulated class (generate, grade, final grades)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.app import LoadSecondsOpt, SkipLoadOpt, app, err, out
from grader.errors import UsageError


@app.command()
def semester(
    out_dir: Annotated[Path, typer.Argument(help="A new directory for the whole rehearsal.")],
    homework: Annotated[
        list[str] | None,
        typer.Option(
            "--homework",
            help="Homework to rehearse (repeatable). Default: every one in the roster.",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Submissions graded at once.")] = 2,
    load_seconds: LoadSecondsOpt = None,
    skip_load: SkipLoadOpt = False,
    roster: Annotated[
        Path | None, typer.Option(help="The class roster (default: grader/semester/class.toml).")
    ] = None,
    generate_only: Annotated[
        bool,
        typer.Option(
            "--generate-only", help="Write the class and its ground truth; grade nothing."
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the variations and disguises.")] = 2026,
    allow_partial_isolation: Annotated[
        bool,
        typer.Option(
            "--allow-partial-isolation",
            help="Passed to grader batch: rehearse on a machine without full isolation (recorded).",
        ),
    ] = False,
) -> None:
    """Generate the simulated class, grade it with `grader batch --similarity`, apply `grader final`."""
    from grader.course.config import load_course_config
    from grader.semester.generate import generate_homework, unavailable, write_ground_truth
    from grader.semester.roster import load_roster
    from grader.semester.run import RunOptions, run_semester

    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} is not empty: rehearse into a new directory")
    wanted = homework or list(load_roster(roster).homeworks)
    if generate_only:
        loaded = load_roster(roster)
        skipped = unavailable(loaded, wanted)
        for hw, reason in skipped.items():
            err.print(f"{hw}: not available, skipped ({reason})", markup=False)
        config = load_course_config()
        generated = {
            hw: generate_homework(loaded.homeworks[hw], out_dir, config, seed)
            for hw in wanted
            if hw not in skipped
        }
        path = write_ground_truth(out_dir, generated, skipped)
        for hw, result in generated.items():
            out.print(
                f"{hw}: {len(result.students)} students -> {result.submissions}", markup=False
            )
        err.print(f"ground truth: {path}")
        return
    summary = run_semester(
        out_dir,
        wanted,
        RunOptions(jobs, skip_load, load_seconds, seed, allow_partial_isolation),
        roster,
        progress=lambda m: err.print(m, markup=False, highlight=False),
    )
    for student, row in sorted(summary["final"].items()):
        out.print(f"{student:<24} {row['final']}", markup=False, highlight=False)
