"""Gradebook CSVs: one row per graded submission of a homework (written by ``grader batch``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.errors import UsageError
from grader.report.model import Report, write_atomically

COLUMNS = [
    "student_id",
    "homework",
    "repository",
    "commit",
    "submitted_at",
    "points",
    "max_points",
    "percent",
    "status",
    "report",
    "isolation",
]


def isolation_label(report: Report) -> str:
    """``full``, or the lower level with ``+override`` when the instructor allowed it."""
    level = str(report.isolation.get("level", "?"))
    return level + ("+override" if report.isolation.get("override") else "")


def gradebook_row(
    report: Report | None,
    student_id: str,
    homework: str,
    repository: str,
    problem: str = "",
    report_path: str = "",
) -> dict[str, str]:
    """A row for a graded report, or for a submission that could not be fetched (``problem``)."""
    if report is None:
        return {
            "student_id": student_id,
            "homework": homework,
            "repository": repository,
            "commit": "",
            "submitted_at": "",
            "points": "0",
            "max_points": "",
            "percent": "0",
            "status": f"error: {problem}",
            "report": "",
            "isolation": "",
        }
    percent = 100 * report.points / report.max_points if report.max_points else 0.0
    return {
        "student_id": student_id,
        "homework": homework,
        "repository": repository,
        "commit": report.commit,
        "submitted_at": report.submitted_at or "",
        "points": f"{report.points:g}",
        "max_points": f"{report.max_points:g}",
        "percent": f"{percent:.2f}",
        "status": "graded",
        "report": report_path,
        "isolation": isolation_label(report),
    }


def render_gradebook(rows: list[dict[str, str]]) -> str:
    """The gradebook CSV text, rows sorted by student id."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["student_id"]))
    return buffer.getvalue()


def write_gradebook(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows (sorted by student id) atomically."""
    write_atomically(path, render_gradebook(rows))


def read_gradebook(path: Path) -> list[dict[str, str]]:
    """Rows of a gradebook CSV."""
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def merge_gradebooks(paths: list[Path]) -> list[dict[str, str]]:
    """Join shard gradebooks of one homework: same columns, one homework, no student twice."""
    rows: list[dict[str, str]] = []
    seen: dict[str, Path] = {}
    homeworks: set[str] = set()
    for path in paths:
        try:
            with path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                if reader.fieldnames != COLUMNS:
                    raise UsageError(f"{path}: not a gradebook (columns {reader.fieldnames})")
                part = list(reader)
        except OSError as exc:
            raise UsageError(f"cannot read gradebook {path}: {exc.strerror}") from exc
        for row in part:
            if row["student_id"] in seen:
                raise UsageError(
                    f"student {row['student_id']} is in {seen[row['student_id']]} and {path}"
                )
            seen[row["student_id"]] = path
            homeworks.add(row["homework"])
        rows.extend(part)
    if len(homeworks) > 1:
        raise UsageError(f"gradebooks of different homework: {', '.join(sorted(homeworks))}")
    return rows
