"""The rehearsal's summary: time per homework, overlap of the jobs, similarity against the ground truth."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from grader.course.config import CourseConfig
from grader.semester.generate import GeneratedHomework


def _pairs(rows: list[dict[str, str]], signal: str) -> set[tuple[str, str]]:
    return {
        tuple(sorted((row["student_a"], row["student_b"])))  # type: ignore[misc]
        for row in rows
        if row["signal"] == signal
    }


def similarity_verdict(
    flagged: set[tuple[str, str]], generated: GeneratedHomework
) -> dict[str, Any]:
    """Flagged code pairs against the planted ones: exact, missed and false flags."""
    must = {tuple(p) for p in generated.must_flag}
    must_not = {tuple(p) for p in generated.must_not_flag}
    missed = sorted(must - flagged)
    false = sorted(flagged & must_not)
    planted = [list(p) for p in generated.planted_copies]
    return {
        "flagged": sorted(list(p) for p in flagged),
        "expected": sorted(list(p) for p in must),
        "missed": [list(p) for p in missed],
        "false_flags": [list(p) for p in false],
        "planted_copies": planted,
        "planted_copies_flagged": all(tuple(p) in flagged for p in planted),
        "verdict": "as planted" if not missed and not false else "differs from the ground truth",
    }


def homework_summary(
    generated: GeneratedHomework, grades: Path, wall: float, jobs: int
) -> dict[str, Any]:
    """Figures of one graded homework."""
    hw = generated.homework
    with (grades / f"gradebook-{hw}.csv").open(newline="") as handle:
        gradebook = list(csv.DictReader(handle))
    durations = {}
    for row in gradebook:
        report_path = grades / row["student_id"] / "report.json"
        if report_path.is_file():
            durations[row["student_id"]] = float(json.loads(report_path.read_text())["duration_s"])
    similarity_csv = grades / f"similarity-{hw}.csv"
    rows = list(csv.DictReader(similarity_csv.open())) if similarity_csv.is_file() else []
    busy = sum(durations.values())
    return {
        "students": len(gradebook),
        "jobs": jobs,
        "wall_s": round(wall, 1),
        "sum_submission_s": round(busy, 1),
        "mean_submission_s": round(busy / max(len(durations), 1), 1),
        "overlap_factor": round(busy / wall, 2) if wall else 0.0,
        "gradebook": str(grades / f"gradebook-{hw}.csv"),
        "scores": {
            row["student_id"]: {
                "points": row["points"],
                "max_points": row["max_points"],
                "status": row["status"],
                "base": generated.students[row["student_id"]]["base"],
                "variation": (
                    f"copy of {generated.students[row['student_id']]['copy_of']}"
                    if generated.students[row["student_id"]]["copy_of"]
                    else generated.students[row["student_id"]]["variation"]
                ),
                "days_late": generated.students[row["student_id"]]["days_late"],
            }
            for row in gradebook
        },
        "similarity": {
            **similarity_verdict(_pairs(rows, "code"), generated),
            "behaviour_pairs": sorted(list(p) for p in _pairs(rows, "behaviour")),
            # Identical hidden failures of students whose code is not from one source (e.g. two
            # untouched starters failing the same way): shown, not counted in the verdict.
            "behaviour_unexpected": sorted(
                list(p)
                for p in _pairs(rows, "behaviour") & {tuple(q) for q in generated.must_not_flag}
            ),
            "csv": str(similarity_csv),
        },
    }


def write_summary(
    out: Path,
    summaries: dict[str, dict[str, Any]],
    skipped: dict[str, str],
    final_path: Path,
    options: Any,
    config: CourseConfig,
) -> dict[str, Any]:
    """``summary.json`` and ``summary.md`` in ``out``."""
    with final_path.open(newline="") as handle:
        finals = list(csv.DictReader(handle))
    summary = {
        "options": {
            "jobs": options.jobs,
            "skip_load": options.skip_load,
            "load_seconds": options.load_seconds,
            "seed": options.seed,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "homework": summaries,
        "not_available": skipped,
        "final_gradebook": str(final_path),
        "final": {
            row["student_id"]: {"final": row["final"], "notes": row["notes"]} for row in finals
        },
        "formula": f"{config.scale:g} * ({config.formula()})",
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.md").write_text(render_markdown(summary))
    return summary


def render_markdown(summary: dict[str, Any]) -> str:
    """The summary as Markdown (also what the benchmark records)."""
    lines = ["# Rehearsal semester", ""]
    load = summary["load_average"]
    lines.append(
        f"{summary['options']['jobs']} jobs, "
        + ("load stage skipped" if summary["options"]["skip_load"] else "with the load stage")
        + (
            f" ({summary['options']['load_seconds']:g} s windows)"
            if summary["options"]["load_seconds"]
            else ""
        )
        + f"; load average at the end {load[0]} / {load[1]} / {load[2]} on {summary['cpus']} CPUs."
    )
    lines += [
        "",
        "| Homework | Students | Wall | Sum of submissions | Overlap factor | Similarity |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for hw, s in summary["homework"].items():
        sim = s["similarity"]
        lines.append(
            f"| {hw} | {s['students']} | {s['wall_s']:.0f} s | {s['sum_submission_s']:.0f} s | "
            f"{s['overlap_factor']:.2f} | {sim['verdict']}: {len(sim['flagged'])} flagged, "
            f"{len(sim['expected'])} expected, planted copy flagged: {sim['planted_copies_flagged']} |"
        )
    for hw, reason in summary["not_available"].items():
        lines.append(f"| {hw} | — | — | — | — | not available: {reason} (counts 0) |")
    for hw, s in summary["homework"].items():
        lines += [
            "",
            f"## {hw}",
            "",
            "| Student | Base | Variation | Days late | Points | Status |",
            "|---|---|---|---:|---:|---|",
        ]
        for student, row in sorted(s["scores"].items()):
            lines.append(
                f"| {student} | {row['base']} | {row['variation']} | {row['days_late']} | "
                f"{row['points']} / {row['max_points']} | {row['status']} |"
            )
        sim = s["similarity"]
        lines += [
            "",
            f"Code pairs flagged: {', '.join('–'.join(p) for p in sim['flagged']) or 'none'}. "
            f"Missed: {', '.join('–'.join(p) for p in sim['missed']) or 'none'}. "
            f"False flags: {', '.join('–'.join(p) for p in sim['false_flags']) or 'none'}. "
            f"Identical hidden failures: {', '.join('–'.join(p) for p in sim['behaviour_pairs']) or 'none'}"
            + (
                f" (not from one source: {', '.join('–'.join(p) for p in sim['behaviour_unexpected'])})."
                if sim.get("behaviour_unexpected")
                else "."
            ),
        ]
    lines += [
        "",
        f"## Final grades (`final = {summary['formula']}`)",
        "",
        "| Student | Final | Notes |",
        "|---|---:|---|",
    ]
    for student, row in sorted(summary["final"].items()):
        lines.append(f"| {student} | {row['final']} | {row['notes']} |")
    return "\n".join(lines) + "\n"
