"""Report model and renderings: JSON (schema-valid), Markdown, JUnit XML, Gradescope results.json."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema

from grader.report.model import SCHEMA_PATH, CheckResult, Report, load_report
from grader.report.render import render_markdown, write_reports


def make_report() -> Report:
    checks = [
        CheckResult(
            "install.environment", "Installs", "install", "visible", "passed", 5, 5, "ok", 1.0
        ),
        CheckResult(
            "api.validation",
            "Validation",
            "api",
            "hidden",
            "failed",
            4.5,
            10,
            "- tenure=-1 got 200",
            0.2,
        ),
        CheckResult(
            "load.error_rate",
            "Errors",
            "load",
            "visible",
            "skipped",
            0,
            4,
            "skipped: no locust",
            0.0,
        ),
    ]
    return Report(
        "hw1",
        "grade",
        "alice",
        "https://example.invalid/alice",
        "a" * 40,
        "0.1.0",
        "b" * 64,
        "1.0.0",
        {
            "level": "full",
            "filesystem": "allow-list (bubblewrap)",
            "override": False,
            "network": "netns",
            "user": "uid",
            "process_limit": "x",
            "notes": [],
        },
        None,
        "2026-11-27T00:00:00+00:00",
        12.5,
        checks,
    )


def test_json_report_validates_and_round_trips(tmp_path: Path) -> None:
    report = make_report()
    paths = write_reports(report, tmp_path / "reports")
    document = json.loads(paths["json"].read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["total"] == {"points": 9.5, "max_points": 19}
    assert load_report(paths["json"]).to_dict() == document
    assert not list(tmp_path.glob(".*")), "temporary files must not remain"


def test_junit_has_one_case_per_check_with_statuses(tmp_path: Path) -> None:
    paths = write_reports(make_report(), tmp_path / "reports")
    suite = ET.parse(paths["junit"]).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["api.validation"].find("failure") is not None
    assert cases["load.error_rate"].find("skipped") is not None


def test_gradescope_results_have_scores_and_visibility(tmp_path: Path) -> None:
    paths = write_reports(make_report(), tmp_path / "reports", hidden_policy="status")
    results = json.loads(paths["gradescope"].read_text())
    assert results["score"] == 9.5
    assert [t["max_score"] for t in results["tests"]] == [5, 10, 4]
    assert results["tests"][1]["visibility"] == "after_published"


def test_markdown_hides_hidden_feedback_from_students_but_not_instructors() -> None:
    report = make_report()
    instructor = render_markdown(report, "instructor")
    student = render_markdown(report, "student", hidden_policy="status")
    assert "tenure=-1 got 200" in instructor
    assert "tenure=-1 got 200" not in student and "instructors only" in student
    assert "9.5 / 19" in student and "skipped: no locust" in student
    none_policy = render_markdown(report, "student", hidden_policy="none")
    assert "api.validation" not in none_policy and "Hidden checks (1)" in none_policy
