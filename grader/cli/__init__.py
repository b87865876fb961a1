"""The ``grader`` command line: grade, check, batch, collect, merge, similarity, final, semester, rubric, export-starter.

Exit codes: 0 graded (whatever the score), 1 ``--fail-under`` not met, 2 usage error or unreadable path.
"""

from __future__ import annotations

import sys

import typer

# isort: off
# Each module registers its commands; this order is the order of `grader --help`.
from grader.cli import grade, batch, similarity, final, semester, starter  # noqa: F401

# isort: on
from grader.cli.app import app, err
from grader.errors import UsageError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: one-line errors, never a traceback."""
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
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors
            exc.show()
            sys.exit(2)
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
