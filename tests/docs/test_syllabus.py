"""The syllabus's schedule, its stated deadline rule, and the course configuration agree."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYLLABUS = (ROOT / "docs" / "syllabus.md").read_text()


def _table(header_start: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with ``header_start``."""
    lines = SYLLABUS.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _schedule() -> tuple[dict[int, list[int]], dict[str, int], dict[str, int], int]:
    """Weeks of each lecture, release and due week of each homework, and the last week."""
    lecture_weeks: dict[int, list[int]] = {}
    released: dict[str, int] = {}
    due: dict[str, int] = {}
    rows = _table("| Week | Lecture | Homework |")
    for week_text, lecture, homework in rows:
        week = int(week_text)
        lecture_weeks.setdefault(int(lecture.split(".")[0]), []).append(week)
        for number in re.findall(r"Homework (\d) released", homework):
            released[f"hw{number}"] = week
        for number in re.findall(r"Homework (\d) due", homework):
            due[f"hw{number}"] = week
    return lecture_weeks, released, due, int(rows[-1][0])


def _numbers(text: str) -> set[int]:
    """'1–4' -> {1, 2, 3, 4}; '7, 8 and 10' -> {7, 8, 10}."""
    numbers: set[int] = set()
    for low, high in re.findall(r"(\d+)\s*[–-]\s*(\d+)", text):
        numbers |= set(range(int(low), int(high) + 1))
    text = re.sub(r"(\d+)\s*[–-]\s*(\d+)", "", text)
    return numbers | {int(n) for n in re.findall(r"\d+", text)}


def test_every_homework_is_due_after_its_prerequisites_and_as_the_rule_says() -> None:
    lecture_weeks, released, due, last_week = _schedule()
    assert set(released) == set(due) == {"hw1", "hw2", "hw3"}
    order = sorted(released)
    bullets = dict(re.findall(r"\*\*\[Homework (\d)\]\([^)]*\)\*\* \(lectures ([^)]*)\)", SYLLABUS))
    for i, hw in enumerate(order):
        prerequisites = _numbers(bullets[hw[-1]])
        last_lecture_week = max(max(lecture_weeks[n]) for n in prerequisites)
        assert due[hw] >= last_lecture_week, f"{hw} is due before lecture {max(prerequisites)}"
        # the rule the schedule section states
        if i + 1 < len(order):
            assert due[hw] == released[order[i + 1]] - 1, hw
            assert released[order[i + 1]] == due[hw] + 1, hw
        else:
            assert due[hw] == last_week, hw
    assert released["hw1"] == 1


def test_deadline_table_matches_the_schedule() -> None:
    """The per-homework table states what the schedule implies (the old rule did not)."""
    lecture_weeks, released, due, _ = _schedule()
    rows = _table("| Homework | Prerequisite lectures |")
    assert [row[0] for row in rows] == ["1", "2", "3"]
    for number, lectures, released_in, last_in, due_in, deadline in rows:
        hw = f"hw{number}"
        last = max(max(lecture_weeks[n]) for n in _numbers(lectures))
        assert (int(released_in), int(last_in), int(due_in)) == (released[hw], last, due[hw])
        assert deadline == f'{{{{ deadline("{hw}") }}}}'
    work_weeks = {f"hw{row[0]}": int(row[4]) - int(row[3]) for row in rows}
    assert work_weeks == {"hw1": 0, "hw2": 2, "hw3": 2}
    assert "Homework 2 and 3 leave two weeks of work after their last prerequisite" in SYLLABUS
    assert "week in which its last\nprerequisite lecture is given" not in SYLLABUS


def test_configured_deadlines_fall_in_the_scheduled_weeks() -> None:
    """grader/course/course.toml's dates are one week apart per scheduled week, on the same weekday."""
    _, _, due, _ = _schedule()
    course = tomllib.loads((ROOT / "grader" / "course" / "course.toml").read_text())
    moments = {hw: datetime.fromisoformat(text) for hw, text in course["deadlines"].items()}
    first = moments["hw1"]
    for hw, moment in moments.items():
        assert moment - first == timedelta(weeks=due[hw] - due["hw1"]), hw
        assert moment.weekday() == 6  # Sunday: the end of the week
