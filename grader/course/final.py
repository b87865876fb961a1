"""Final course grades: join the homework gradebooks, apply lateness and TA adjustments, apply the formula.

``final = scale * sum(weight[hw] * score[hw])`` where ``score[hw]`` is the homework's points as a fraction
of its maximum after the late penalty and TA adjustments. With the course's weights 0.33 each, a perfect
record scores ``0.99 * scale`` (9.9 of 10): the formula is kept exactly as the course states it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

from grader.course.config import CourseConfig
from grader.course.gradebook import read_gradebook
from grader.errors import UsageError
from grader.report.model import write_atomically


@dataclass(frozen=True)
class Adjustment:
    """A TA's change: ``points`` added to a homework (its point scale) or to the final grade."""

    student_id: str
    target: str  # "hw1".."hw3" or "final"
    points: float
    reason: str


def days_late(submitted_at: str, deadline: dt.datetime, grace_minutes: float) -> int:
    """Started days after the deadline (0 when on time or within the grace period)."""
    if not submitted_at:
        return 0
    submitted = dt.datetime.fromisoformat(submitted_at)
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=dt.UTC)
    late = (submitted - deadline).total_seconds() - grace_minutes * 60
    return 0 if late <= 0 else math.ceil(late / 86400)


def last_accepted(deadline: dt.datetime, config: CourseConfig) -> dt.datetime:
    """The last moment a submission still earns points (``days_late`` at most ``max_days_late``).

    A starter that contains this homework's reference solution must not be released before it.
    """
    return deadline + dt.timedelta(minutes=config.grace_minutes, days=config.max_days_late)


def late_factor(days: int, config: CourseConfig) -> float:
    """Fraction of the score kept after ``days`` late."""
    if days > config.max_days_late:
        return 0.0
    return max(0.0, 1.0 - config.penalty_per_day * days)


def read_adjustments(path: Path | None, homeworks: list[str]) -> list[Adjustment]:
    """CSV ``student_id,homework,points,reason`` (homework = hwN or final)."""
    if path is None:
        return []
    try:
        rows = list(csv.DictReader(path.open(newline="")))
    except OSError as exc:
        raise UsageError(f"cannot read adjustments {path}: {exc.strerror}") from exc
    out = []
    for number, row in enumerate(rows, start=2):
        target = (row.get("homework") or "").strip()
        try:
            points = float(row.get("points") or "")
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: points must be a number") from exc
        if target not in [*homeworks, "final"] or not (row.get("student_id") or "").strip():
            raise UsageError(
                f"{path}:{number}: need student_id and homework in {', '.join([*homeworks, 'final'])}"
            )
        if not (row.get("reason") or "").strip():
            raise UsageError(f"{path}:{number}: every adjustment needs a reason")
        out.append(Adjustment(row["student_id"].strip(), target, points, row["reason"].strip()))
    return out


def compute_final(
    gradebooks: dict[str, Path], config: CourseConfig, adjustments: list[Adjustment]
) -> list[dict]:
    """One row per student with per-homework details and the final grade."""
    per_hw: dict[str, dict[str, dict[str, str]]] = {}
    for hw, path in gradebooks.items():
        if hw not in config.weights:
            raise UsageError(f"{hw} has no weight in the course config ({config.formula()})")
        try:
            per_hw[hw] = {row["student_id"]: row for row in read_gradebook(path)}
        except (OSError, KeyError) as exc:
            raise UsageError(f"cannot read gradebook {path}: {exc}") from exc
    students = sorted(
        {s for rows in per_hw.values() for s in rows} | {a.student_id for a in adjustments}
    )
    table = []
    for student in students:
        row: dict = {"student_id": student}
        total = 0.0
        notes = []
        for hw, weight in config.weights.items():
            record = per_hw.get(hw, {}).get(student)
            points = float(record["points"]) if record and record.get("max_points") else 0.0
            maximum = float(record["max_points"]) if record and record.get("max_points") else 0.0
            extra = [a for a in adjustments if a.student_id == student and a.target == hw]
            points += sum(a.points for a in extra)
            notes += [f"{hw} {a.points:+g}: {a.reason}" for a in extra]
            late = (
                days_late(
                    record.get("submitted_at", "") if record else "",
                    config.deadlines[hw],
                    config.grace_minutes,
                )
                if hw in config.deadlines
                else 0
            )
            fraction = (
                min(max(points / maximum, 0.0), 1.0) * late_factor(late, config) if maximum else 0.0
            )
            if late:
                notes.append(f"{hw} {late} day(s) late")
            if record is None:
                notes.append(f"{hw} missing")
            row.update(
                {
                    f"{hw}_points": round(points, 2),
                    f"{hw}_max": maximum,
                    f"{hw}_days_late": late,
                    f"{hw}_score": round(fraction, 4),
                }
            )
            total += weight * fraction
        final = total * config.scale
        extra_final = [a for a in adjustments if a.student_id == student and a.target == "final"]
        final += sum(a.points for a in extra_final)
        notes += [f"final {a.points:+g}: {a.reason}" for a in extra_final]
        row["final"] = round(min(max(final, 0.0), config.scale), config.rounding)
        row["notes"] = "; ".join(notes)
        table.append(row)
    return table


def write_final(path: Path, table: list[dict], homeworks: list[str]) -> None:
    """Write the gradebook CSV atomically."""
    columns = ["student_id"]
    for hw in homeworks:
        columns += [f"{hw}_points", f"{hw}_max", f"{hw}_days_late", f"{hw}_score"]
    columns += ["final", "notes"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    write_atomically(path, buffer.getvalue())
