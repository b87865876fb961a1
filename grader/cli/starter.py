"""``grader export-starter``: a homework's starter as a ready template repository."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from grader.cli.app import HomeworkArg, app, err
from grader.errors import UsageError
from grader.paths import PACKAGE_DIR

CALLER_TEMPLATE = PACKAGE_DIR / "templates" / "grade-caller.yml"
IGNORE = shutil.ignore_patterns("__pycache__", ".venv", ".pytest_cache", ".ruff_cache", "*.pyc")


def render_caller_workflow(homework: str, repository: str, ref: str) -> str:
    """The caller workflow a student repository ships, pointing at the course repository."""
    return CALLER_TEMPLATE.read_text().format(repository=repository, ref=ref, homework=homework)


def starter_dir(course_root: Path, homework: str) -> Path:
    """``homework/<hw>_*/starter`` in the course checkout."""
    matches = sorted((course_root / "homework").glob(f"{homework}_*/starter"))
    if not matches:
        raise UsageError(f"no starter for {homework} under {course_root / 'homework'}")
    return matches[0]


@app.command("export-starter")
def export_starter(
    homework: HomeworkArg,
    dest: Annotated[Path, typer.Argument(help="New directory for the template repository.")],
    course_root: Annotated[Path, typer.Option(help="The course checkout.")] = PACKAGE_DIR.parent,
    course_config: Annotated[
        Path | None, typer.Option(help="Course config (repository and ref).")
    ] = None,
) -> None:
    """Copy the starter and write its caller workflow pointing at the configured course repository."""
    from grader.course.config import load_course_config

    config = load_course_config(course_config)
    source = starter_dir(course_root, homework)
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest} exists and is not empty")
    shutil.copytree(source, dest, ignore=IGNORE, dirs_exist_ok=True)
    workflow = dest / ".github" / "workflows" / "grade.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(render_caller_workflow(homework, config.repository, config.grader_ref))
    err.print(
        f"{homework} starter exported to {dest}; push it as a template repository (e.g. for GitHub "
        "Classroom)"
    )
