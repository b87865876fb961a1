"""Every GitHub Actions workflow validates offline; actions are pinned; callers match the template."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.cli.starter import render_caller_workflow
from grader.course.config import load_course_config

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted(ROOT.glob(".github/workflows/*.yml")) + sorted(
    ROOT.glob("homework/*/*/.github/workflows/*.yml")
)


def test_there_are_workflows_for_ci_grading_regrade_and_docs() -> None:
    names = {p.name for p in ROOT.glob(".github/workflows/*.yml")}
    assert {"ci.yml", "grade-submission.yml", "regrade.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow_validates_against_the_github_schema(path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", sorted(ROOT.glob(".github/workflows/*.yml")), ids=lambda p: p.name)
def test_actions_are_pinned_and_permissions_minimal(path: Path) -> None:
    text = path.read_text()
    for ref in re.findall(r"uses:\s*([^\s#]+)", text):
        if ref.startswith("./"):
            continue
        assert re.search(r"@[0-9a-f]{40}$", ref), (
            f"{path.name}: {ref} is not pinned to a commit SHA"
        )
    doc = yaml.safe_load(text)
    assert doc.get("permissions") == {"contents": "read"}, (
        f"{path.name}: top-level permissions must be read-only"
    )
    for name, job in doc["jobs"].items():
        assert "timeout-minutes" in job or "uses" in job, (
            f"{path.name}: job {name} needs timeout-minutes"
        )


def test_student_caller_workflows_match_the_template() -> None:
    config = load_course_config()
    callers = sorted(ROOT.glob("homework/*/*/.github/workflows/grade.yml"))
    assert callers, "every starter and solution ships the caller workflow"
    for path in callers:
        homework = path.relative_to(ROOT).parts[1].split("_")[0]
        expected = render_caller_workflow(homework, config.repository, config.grader_ref)
        assert path.read_text() == expected, (
            f"{path} drifted from grader/templates/grade-caller.yml"
        )
