"""The class dashboard, driven through Streamlit's AppTest: sample class, directories, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from demos.sample_reports import sample_class, write_sample_class
from grader.course.config import load_course_config
from grader.course.final import compute_final
from grader.course.gradebook import write_gradebook
from grader.report.model import CheckResult, Report
from grader.report.render import write_reports
from grader.rubric import load_rubric

STUDENTS = ("ana", "ben", "cleo")


@pytest.fixture
def app(demo_path: Path) -> AppTest:
    at = AppTest.from_file(str(demo_path / "class_dashboard.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Class dashboard"
    return at


def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title", "")
        titles.append(title if isinstance(title, str) else title.get("text", ""))
    return titles


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def load_dir(at: AppTest, directory: Path) -> None:
    at.text_input(key="report_dir").set_value(str(directory))
    at.button(key="load_dir").click().run()
    assert not at.exception


def small_report(student: str, validation: str, points: float) -> Report:
    """An hw1 report with the real rubric: everything passes except api.validation."""
    rubric = load_rubric("hw1")
    checks = []
    for check in rubric.checks:
        status, earned = "passed", check.points
        if check.id == "api.validation":
            status, earned = validation, points
        checks.append(
            CheckResult(
                check.id,
                check.title,
                check.stage,
                check.visibility,
                status,  # type: ignore[arg-type]
                earned,
                check.points,
                f"{student}: {check.id} {status}",
                0.1,
            )
        )
    isolation = {
        "level": "full",
        "filesystem": "allow-list (bubblewrap)",
        "override": False,
        "network": "netns",
        "user": "nobody",
        "process_limit": "pids",
        "notes": [],
    }
    return Report(
        "hw1",
        "grade",
        student,
        f"https://example.invalid/{student}",
        "c" * 40,
        "0.1.0",
        rubric.sha256,
        "1.0.0",
        isolation,
        None,
        "2026-10-05T00:00:00+00:00",
        3.0,
        checks,
        submitted_at="2026-10-01T12:00:00+03:00",
    )


def test_sample_class_shows_pass_rates_and_final_grades(app: AppTest, tmp_path: Path) -> None:
    app.button(key="load_sample").click().run()
    assert not app.exception and not app.error
    titles = chart_titles(app)
    assert "Pass rate per check, hw1 (20 submissions)" in titles
    assert "Score distribution per homework" in titles
    assert "Final grades (course formula), by homework" in titles
    assert any("0.99" in m.value and "9.9 of 10" in m.value for m in app.markdown)
    assert {m.label: m.value for m in app.metric}["Best possible"] == "9.9 / 10"
    shown = frame_with(app, "final").set_index("student_id")["final"]
    # The same numbers as grader.final with the course configuration.
    sample = sample_class()
    paths = {}
    for hw, rows in sample.gradebooks.items():
        paths[hw] = tmp_path / f"gradebook-{hw}.csv"
        write_gradebook(paths[hw], rows)
    expected = {r["student_id"]: r["final"] for r in compute_final(paths, load_course_config(), [])}
    assert shown.to_dict() == expected
    assert len(expected) == 20


def test_drill_down_shows_the_chosen_students_checks(app: AppTest) -> None:
    report = next(r for r in sample_class().reports if r.student_id == "dara-e")
    app.selectbox(key="drill_student").set_value("dara-e").run()
    assert not app.exception
    checks = frame_with(app, "feedback")
    assert list(checks["check"]) == [c.id for c in report.checks]
    assert list(checks["status"]) == [c.status for c in report.checks]
    assert list(checks["points"]) == [c.points for c in report.checks]
    assert "dara-e: points per check (hw1)" in chart_titles(app)
    points = {m.label: m.value for m in app.metric}["Points"]
    assert points == f"{report.points:g} / {report.max_points:g}"


def test_loads_a_directory_of_reports_written_by_the_grader(app: AppTest, tmp_path: Path) -> None:
    for student, status, points in zip(
        STUDENTS, ["failed", "failed", "passed"], [2.5, 5.0, 10.0], strict=True
    ):
        write_reports(small_report(student, status, points), tmp_path / student)
    load_dir(app, tmp_path)
    assert not app.error, [e.value for e in app.error]
    assert any("3 reports" in c.value for c in app.caption)
    assert "Pass rate per check, hw1 (3 submissions)" in chart_titles(app)
    assert any("`api.validation` (33% passed)" in m.value for m in app.markdown)
    assert any("missing: hw2, hw3" in i.value for i in app.info)  # no final grades without them
    app.selectbox(key="drill_student").set_value("ben").run()
    checks = frame_with(app, "feedback").set_index("check")
    assert checks.loc["api.validation", "status"] == "failed"
    assert checks.loc["api.validation", "feedback"] == "ben: api.validation failed"


def test_a_written_sample_class_gives_final_grades(app: AppTest, tmp_path: Path) -> None:
    write_sample_class(tmp_path)
    load_dir(app, tmp_path)
    assert not app.error, [e.value for e in app.error]
    assert any("20 reports, 60 gradebook rows" in c.value for c in app.caption)
    assert "Final grades (course formula), by homework" in chart_titles(app)
    finals = frame_with(app, "final").set_index("student_id")
    assert finals.loc["tala-u", "hw3_score"] == 0  # hw3 could not be fetched: an error row
    assert finals["notes"].str.contains("day\\(s\\) late").any()


def test_malformed_files_are_named_not_raised(app: AppTest, tmp_path: Path) -> None:
    write_reports(small_report("ana", "passed", 10.0), tmp_path / "ana")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text('{"homework": "hw1", ')
    (tmp_path / "alien").mkdir()
    (tmp_path / "alien" / "report.json").write_text('{"hello": "world"}')
    (tmp_path / "gradebook-hw2.csv").write_text("name,score\nana,3\n")
    load_dir(app, tmp_path)
    problems = "\n".join(e.value for e in app.error)
    assert "3 problem(s)" in problems
    assert "broken/report.json: not JSON" in problems
    assert "alien/report.json: not a grader report" in problems
    assert "gradebook-hw2.csv: not a gradebook: missing column(s)" in problems
    assert any("1 report," in c.value for c in app.caption)  # the good file is still shown
    assert "Pass rate per check, hw1 (1 submission)" in chart_titles(app)


def test_a_missing_directory_is_a_message(app: AppTest, tmp_path: Path) -> None:
    load_dir(app, tmp_path / "nope")
    assert any("is not a directory" in e.value for e in app.error)
    assert any("Nothing to show yet" in w.value for w in app.warning)


def test_opens_on_a_semester_directory_from_the_environment(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLASS_DASHBOARD_DIR: reports, the written final gradebook and the similarity pairs."""
    grades = tmp_path / "hw1" / "grades"
    for student, points in zip(STUDENTS, [2.5, 5.0, 10.0], strict=True):
        write_reports(small_report(student, "failed", points), grades / student)
    (grades / "similarity-hw1.csv").write_text(
        "signal,student_a,student_b,similarity_a,similarity_b,overlap_tokens,regions_a,regions_b,"
        "shared_failing_checks\ncode,ana,ben,0.910,0.880,900,app/model.py:1-40,app/model.py:3-44,\n"
    )
    (tmp_path / "final-grades.csv").write_text(
        "student_id,hw1_points,hw1_max,hw1_days_late,hw1_score,final,notes\n"
        "ana,90,100,0,0.9,2.97,hw2 missing; hw3 missing\n"
        "ben,80,100,2,0.64,2.11,hw1 2 day(s) late; hw2 missing; hw3 missing\n"
        "cleo,70,100,0,0.7,2.31,hw2 missing; hw3 missing\n"
    )
    monkeypatch.setenv("CLASS_DASHBOARD_DIR", str(tmp_path))
    at = AppTest.from_file(str(demo_path / "class_dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("3 reports" in c.value for c in at.caption)
    assert "Final grades (final-grades.csv)" in chart_titles(at)
    assert any("Not graded in this run: hw2, hw3" in i.value for i in at.info)
    finals = frame_with(at, "final").set_index("student_id")
    assert finals.loc["ben", "final"] == pytest.approx(2.11)
    assert finals.loc["ben", "hw1_days_late"] == "2"
    pairs = frame_with(at, "student_a")
    assert list(zip(pairs["student_a"], pairs["student_b"], strict=True)) == [("ana", "ben")]
    assert any("1 flagged pair (1 by shared code, 0 by identical" in m.value for m in at.markdown)
