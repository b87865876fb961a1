"""The CLI's contract: one-line errors with exit 2, never a traceback; rubric, export-starter, collect, batch."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def grader(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "hw1", "/no/such/dir"], "not a directory"),
        (["grade", "hw9", "."], "no rubric"),
        (["rubric", "hw1", "--format", "xml"], "unknown format"),
        (["batch", "hw1"], "nothing to grade"),
        (["collect", "hw1", "/no/such/dir"], "not a directory"),
        (["export-starter", "hw9", "/tmp/never-created"], "no starter"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = grader(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_rubric_prints_markdown_and_json() -> None:
    markdown = grader("rubric", "hw1")
    assert markdown.returncode == 0 and "| `api.validation` |" in markdown.stdout
    data = json.loads(grader("rubric", "hw1", "--format", "json").stdout)
    assert data["max_points"] == 100 and len(data["checks"]) >= 15


def test_export_starter_writes_a_template_repository(tmp_path: Path) -> None:
    dest = tmp_path / "hw1-template"
    done = grader("export-starter", "hw1", str(dest))
    assert done.returncode == 0, done.stderr
    workflow = (dest / ".github/workflows/grade.yml").read_text()
    assert "mlops-course/mlops-course/.github/workflows/grade-submission.yml@main" in workflow
    assert (dest / "pyproject.toml").is_file() and (
        dest / "tests/public/test_public_api.py"
    ).is_file()
    assert not list(dest.rglob("__pycache__"))
    again = grader("export-starter", "hw1", str(dest))
    assert again.returncode == 2 and "not empty" in again.stderr


def _report(student: str, points: float) -> dict:
    return {
        "schema_version": "1.0.0",
        "homework": "hw1",
        "mode": "grade",
        "student_id": student,
        "repository": f"r/{student}",
        "commit": "c" * 40,
        "grader_version": "0",
        "rubric_sha256": "0" * 64,
        "contract_version": "1.0.0",
        "isolation": {},
        "calibration": None,
        "started_at": "",
        "duration_s": 1.0,
        "submitted_at": "2026-10-01T00:00:00+00:00",
        "checks": [
            {
                "id": "x",
                "title": "x",
                "stage": "static",
                "visibility": "visible",
                "status": "passed",
                "points": points,
                "max_points": 100,
                "feedback": "",
                "duration_s": 0.0,
            }
        ],
        "total": {"points": points, "max_points": 100},
    }


def test_collect_joins_reports(tmp_path: Path) -> None:
    for student, points in (("bob", 70), ("alice", 95)):
        (tmp_path / student).mkdir()
        (tmp_path / student / "report.json").write_text(json.dumps(_report(student, points)))
    out = tmp_path / "gradebook.csv"
    done = grader("collect", "hw1", str(tmp_path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["student_id"], r["points"]) for r in rows] == [("alice", "95"), ("bob", "70")]
