"""Static stage: required files and ruff with the course's configuration (never the submission's)."""

from __future__ import annotations

import time
from pathlib import Path

import ruff

from grader.grading.context import GradeContext
from grader.paths import RUFF_CONFIG
from grader.sandbox.trusted import run_trusted
from grader.submission import SubmissionError, read_pyproject

CHECKS = ("static.required_files", "static.ruff_lint", "static.ruff_format")
PYTHON_SUFFIXES = (".py", ".pyi")


def python_files(src: Path) -> list[str]:
    """Every Python file of the submission (relative paths), whatever the student's ignore files say.

    Ruff is given this list explicitly: its own discovery honours ``.gitignore``, default excludes
    (``build/``, ``dist/`` ...) and the student's ``exclude`` settings, any of which could hide code.
    """
    return sorted(
        str(path.relative_to(src))
        for path in src.rglob("*")
        if path.suffix in PYTHON_SUFFIXES and path.is_file() and not path.is_symlink()
    )


def _ruff(files: list[str], *args: str) -> list[str]:
    # --config makes ruff ignore every configuration file in the submission; --isolated also ignores
    # user-level settings; --ignore-noqa means suppression comments buy nothing. Ruff only parses
    # files: safe to run outside the sandbox.
    return [
        ruff.find_ruff_bin(),
        *args,
        "--config",
        str(RUFF_CONFIG),
        "--no-cache",
        "--no-respect-gitignore",
        "--",
        *files,
    ]


def check_required_files(ctx: GradeContext) -> None:
    """``static.required_files``: README.md, pyproject.toml with a serve command, uv.lock, tests/."""
    started = time.monotonic()
    src = ctx.sandbox.src
    missing = [name for name in ("README.md", "uv.lock") if not (src / name).is_file()]
    if not (src / "tests").is_dir():
        missing.append("tests/ (your own test suite)")
    try:
        read_pyproject(src)
        if ctx.commands.problem:
            missing.append(ctx.commands.problem)
    except SubmissionError as exc:
        missing.append(str(exc))
    if missing:
        ctx.failed(
            "static.required_files",
            "Missing or invalid:\n- " + "\n- ".join(missing),
            started=started,
        )
    else:
        ctx.passed("static.required_files", started=started)


def check_ruff(ctx: GradeContext) -> None:
    """``static.ruff_lint`` and ``static.ruff_format`` with the course config."""
    src = ctx.sandbox.src
    started = time.monotonic()
    timeout = float(ctx.settings("static")["timeout_s"])
    files = python_files(src)
    if not files:
        for check_id in ("static.ruff_lint", "static.ruff_format"):
            ctx.failed(check_id, "no Python files found: there is nothing to lint", started=started)
        return
    lint = run_trusted(
        _ruff(files, "check", "--ignore-noqa", "--output-format", "concise", "--no-fix"),
        src,
        timeout=timeout,
    )
    if lint.ok:
        ctx.passed("static.ruff_lint", "no lint findings", started=started)
    else:
        ctx.failed(
            "static.ruff_lint",
            "ruff found problems (the course config is applied and `# noqa` is ignored). Reproduce with "
            "`grader check` or `ruff check --config <course ruff.toml> --ignore-noqa .`:\n"
            + lint.tail(30),
            started=started,
        )
    started = time.monotonic()
    fmt = run_trusted(_ruff(files, "format", "--check"), src, timeout=timeout)
    if fmt.ok:
        ctx.passed("static.ruff_format", "formatted", started=started)
    else:
        ctx.failed(
            "static.ruff_format", "Files need `ruff format`:\n" + fmt.tail(30), started=started
        )


def run(ctx: GradeContext) -> None:
    """Run every static check."""
    ctx.progress("static: required files, ruff")
    check_required_files(ctx)
    check_ruff(ctx)
