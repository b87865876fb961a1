"""``grader final``: the course gradebook from the homework gradebooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.app import app, err, out
from grader.errors import UsageError


@app.command()
def final(
    gradebooks: Annotated[
        list[str], typer.Argument(help="HW=PATH pairs, e.g. hw1=grades/gradebook-hw1.csv.")
    ],
    adjustments: Annotated[
        Path | None, typer.Option(help="CSV: student_id,homework,points,reason.")
    ] = None,
    course_config: Annotated[
        Path | None, typer.Option(help="Course config (default: the shipped one).")
    ] = None,
    out_path: Annotated[Path, typer.Option("--out", help="The final gradebook CSV.")] = Path(
        "final-grades.csv"
    ),
) -> None:
    """Apply the course formula, lateness and TA adjustments; write the final gradebook CSV."""
    from grader.course.config import load_course_config
    from grader.course.final import compute_final, read_adjustments, write_final

    config = load_course_config(course_config)
    pairs: dict[str, Path] = {}
    for item in gradebooks:
        hw, sep, path = item.partition("=")
        if not sep or not Path(path).is_file():
            raise UsageError(f"expected HW=PATH to an existing gradebook, got {item!r}")
        pairs[hw] = Path(path)
    homeworks = list(config.weights)
    table = compute_final(pairs, config, read_adjustments(adjustments, homeworks))
    write_final(out_path, table, homeworks)
    out.print(
        f"formula: final = {config.scale:g} * ({config.formula()}); perfect record = "
        f"{config.scale * sum(config.weights.values()):g}",
        markup=False,
    )
    for row in table:
        out.print(f"{row['student_id']:<24} {row['final']}", markup=False, highlight=False)
    err.print(f"final gradebook: {out_path}")
