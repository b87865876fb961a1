"""A rehearsal semester: generate the class, grade every homework, apply the course's final formula.

Every step uses the grader's own command line, as an instructor would (``grader batch``,
``grader final``), and the outputs land where the dashboard and the runbook expect them::

    OUT/<hw>/repos/, OUT/<hw>/submissions.csv        the generated class
    OUT/<hw>/grades/                                 grader batch --similarity: reports, gradebook, similarity
    OUT/adjustments.csv                              the TA adjustments (from the roster)
    OUT/final-grades.csv                             grader final with the late policy
    OUT/summary.json, OUT/summary.md                 wall time, overlap, similarity vs ground truth
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.course.config import load_course_config
from grader.errors import UsageError
from grader.semester.generate import (
    GeneratedHomework,
    generate_homework,
    unavailable,
    write_ground_truth,
)
from grader.semester.roster import Roster, load_roster
from grader.semester.summary import homework_summary, write_summary


@dataclass(frozen=True)
class RunOptions:
    """How the class is graded."""

    jobs: int = 2
    skip_load: bool = False
    load_seconds: float | None = None
    seed: int = 2026
    allow_partial_isolation: bool = False


def _grader(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )


def write_adjustments(out: Path, roster: Roster, graded: list[str]) -> Path:
    """``adjustments.csv`` for ``grader final`` (only adjustments of graded homework)."""
    path = out / "adjustments.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["student_id", "homework", "points", "reason"])
        for a in roster.adjustments:
            if a.homework in graded or a.homework == "final":
                writer.writerow([a.student, a.homework, f"{a.points:g}", a.reason])
    return path


def grade_homework(
    generated: GeneratedHomework, out: Path, options: RunOptions
) -> tuple[Path, float]:
    """``grader batch --submissions ... --similarity``; (grades directory, wall seconds)."""
    grades = out / generated.homework / "grades"
    args = [
        "batch",
        generated.homework,
        "--submissions",
        str(generated.submissions),
        "--out",
        str(grades),
        "--jobs",
        str(options.jobs),
        "--similarity",
    ]
    if options.skip_load:
        args.append("--skip-load")
    if options.allow_partial_isolation:
        args.append("--allow-partial-isolation")
    if options.load_seconds is not None:
        args += ["--load-seconds", f"{options.load_seconds:g}"]
    started = time.monotonic()
    done = _grader(args, timeout=6 * 3600)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise UsageError(
            f"grader batch {generated.homework} failed: {done.stderr.strip().splitlines()[-1:]}"
        )
    return grades, wall


def run_semester(
    out: Path,
    homeworks: list[str],
    options: RunOptions,
    roster_path: Path | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    """The whole rehearsal; returns the summary (also written to ``OUT/summary.json``)."""
    roster = load_roster(roster_path)
    config = load_course_config()
    skipped = unavailable(roster, homeworks)
    for hw, reason in skipped.items():
        progress(f"{hw}: not available, skipped ({reason}); it counts 0 in the final grades")
    todo = [hw for hw in homeworks if hw not in skipped]
    if not todo:
        raise UsageError("none of the homework asked for can be generated yet")
    out.mkdir(parents=True, exist_ok=True)
    generated = {}
    for hw in todo:
        progress(f"{hw}: generating {len(roster.homeworks[hw].students)} students")
        generated[hw] = generate_homework(roster.homeworks[hw], out, config, options.seed)
    write_ground_truth(out, generated, skipped)
    summaries = {}
    for hw, result in generated.items():
        progress(f"{hw}: grader batch --jobs {options.jobs} --similarity")
        grades, wall = grade_homework(result, out, options)
        summaries[hw] = homework_summary(result, grades, wall, options.jobs)
        progress(
            f"{hw}: {wall:.0f} s wall, overlap {summaries[hw]['overlap_factor']:.2f}, "
            f"similarity {summaries[hw]['similarity']['verdict']}"
        )
    adjustments = write_adjustments(out, roster, todo)
    final_path = out / "final-grades.csv"
    pairs = [f"{hw}={out / hw / 'grades' / f'gradebook-{hw}.csv'}" for hw in todo]
    done = _grader(
        ["final", *pairs, "--adjustments", str(adjustments), "--out", str(final_path)], 300
    )
    if done.returncode != 0:
        raise UsageError(f"grader final failed: {done.stderr.strip().splitlines()[-1:]}")
    summary = write_summary(out, summaries, skipped, final_path, options, config)
    progress(f"final gradebook: {final_path}; summary: {out / 'summary.md'}")
    return summary


def load_ground_truth(out: Path) -> dict:
    """The ground truth a run wrote."""
    return json.loads((out / "ground_truth.json").read_text())
