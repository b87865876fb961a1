"""The Typer application and the options the commands share. Commands live in sibling modules.

Wiring is one-way: command modules import this one, :mod:`grader.cli` imports the command modules.
Heavy libraries are imported inside the commands, so a usage error answers at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Grade mlops-course homework submissions.",
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # one message, one line, whatever its length

HomeworkArg = Annotated[str, typer.Argument(help="Homework id, e.g. hw1.")]
PathArg = Annotated[
    str, typer.Argument(help="The submission directory (a checkout of the student repository).")
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Directory for report.json/.md, junit.xml, results.json (created by the grader).",
    ),
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
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the JSON report instead of the table.")
]
