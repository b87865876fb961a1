"""The course formula, lateness and TA adjustments in `grader final`."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course.config import load_course_config
from grader.course.final import compute_final, days_late, read_adjustments
from grader.course.gradebook import COLUMNS


def gradebook(path: Path, rows: list[tuple[str, float, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for student, points, submitted in rows:
            writer.writerow(
                {
                    "student_id": student,
                    "homework": path.stem,
                    "points": points,
                    "max_points": 100,
                    "submitted_at": submitted,
                    "status": "graded",
                }
            )
    return path


@pytest.fixture
def books(tmp_path: Path) -> dict[str, Path]:
    on_time = {
        "hw1": "2026-10-01T12:00:00+03:00",
        "hw2": "2026-10-30T12:00:00+03:00",
        "hw3": "2026-12-01T12:00:00+03:00",
    }
    return {
        hw: gradebook(
            tmp_path / f"{hw}.csv",
            [
                ("perfect", 100, on_time[hw]),
                ("late", 80, "2026-10-06T10:00:00+03:00" if hw == "hw1" else on_time[hw]),
            ],
        )
        for hw in ("hw1", "hw2", "hw3")
    }


def test_perfect_record_is_0_99_of_the_scale(books: dict[str, Path]) -> None:
    config = load_course_config()
    assert config.formula() == "0.33*hw1 + 0.33*hw2 + 0.33*hw3"
    table = {r["student_id"]: r for r in compute_final(books, config, [])}
    assert table["perfect"]["final"] == 9.9


def test_late_penalty_per_started_day(books: dict[str, Path]) -> None:
    config = load_course_config()
    assert days_late("2026-10-04T23:59:00+03:00", config.deadlines["hw1"], 15) == 0
    assert days_late("2026-10-05T00:30:00+03:00", config.deadlines["hw1"], 15) == 1
    row = {r["student_id"]: r for r in compute_final(books, config, [])}["late"]
    assert row["hw1_days_late"] == 2
    assert row["hw1_score"] == pytest.approx(0.8 * 0.8)
    assert row["final"] == round(10 * (0.33 * 0.64 + 0.33 * 0.8 + 0.33 * 0.8), 2)


def test_adjustments_need_reasons_and_apply(books: dict[str, Path], tmp_path: Path) -> None:
    config = load_course_config()
    adj = tmp_path / "adj.csv"
    adj.write_text(
        "student_id,homework,points,reason\nlate,hw2,20,regrade request accepted\nlate,final,0.5,bonus\n"
    )
    adjustments = read_adjustments(adj, list(config.weights))
    row = {r["student_id"]: r for r in compute_final(books, config, adjustments)}["late"]
    assert row["hw2_score"] == 1.0
    assert "regrade request accepted" in row["notes"]
    adj.write_text("student_id,homework,points,reason\nlate,hw2,20,\n")
    with pytest.raises(Exception, match="reason"):
        read_adjustments(adj, list(config.weights))


def test_final_cli_writes_csv_and_rejects_bad_input(books: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "final.csv"
    args = [
        sys.executable,
        "-m",
        "grader",
        "final",
        *(f"{hw}={p}" for hw, p in books.items()),
        "--out",
        str(out),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "perfect record = 9.9" in done.stdout
    rows = list(csv.DictReader(out.open()))
    assert {r["student_id"]: r["final"] for r in rows}["perfect"] == "9.9"
    bad = subprocess.run(
        [*args[:4], "hw1=/nonexistent.csv"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "HW=PATH" in bad.stderr


def test_last_accepted_is_the_last_moment_that_earns_points() -> None:
    """The runbook's release schedule and the late policy agree to the second."""
    import datetime as dt

    from grader.course.config import load_course_config
    from grader.course.final import days_late, last_accepted, late_factor

    course = load_course_config()
    for deadline in course.deadlines.values():
        last = last_accepted(deadline, course)
        on_edge = days_late(last.isoformat(), deadline, course.grace_minutes)
        after = days_late(
            (last + dt.timedelta(seconds=1)).isoformat(), deadline, course.grace_minutes
        )
        assert late_factor(on_edge, course) > 0
        assert late_factor(after, course) == 0
