"""Benchmark: what grading each homework's reference solution costs beyond its load window.

Run: ``uv run python benchmarks/grading_overhead.py [--load-seconds N] [--homework hw1 hw2 hw3]``.
Grades each reference solution once with its whole rubric (an install-warming pass first) and
writes ``benchmarks/results/grading_overhead.json`` and ``.md``. Recorded per homework:

- seconds per stage, the overhead (everything but the load window), and that overhead without the
  planted-bug runs of ``tests.quality`` (a fixed budget of the rubric, not grader overhead);
- the stress test: capacity of the submission and of the calibration service; for a service with
  a database, the 2xx answers and the rows it stored.

Targets (overhead without planted bugs, warm install cache): hw1 <= 15 s (grader v2 part 1),
hw2 <= 25 s with the job's database start (hw2), hw3 <= 40 s with the database and Prometheus
starts (hw3). Across homework, hw2's capacity (one committed row per prediction) >= 0.4 of hw1's,
both measured in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.model import Report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SOLUTIONS = {
    "hw1": ROOT / "homework" / "hw1_api" / "solution",
    "hw2": ROOT / "homework" / "hw2_db_k8s" / "solution",
    "hw3": ROOT / "homework" / "hw3_ci_monitoring" / "solution",
}
TARGET_OVERHEAD_S = {"hw1": 15.0, "hw2": 25.0, "hw3": 40.0}
TARGET_HW2_OVER_HW1 = 0.4


def figures(report: Report, wall_s: float) -> dict[str, Any]:
    """What one graded reference costs and what its stress test measured."""
    stages = dict(report.stage_seconds)
    load_s = stages.get("load", 0.0)
    overhead = sum(v for k, v in stages.items() if k != "load")
    planted = float((report.mutation or {}).get("seconds", 0.0))
    load = report.load or {}
    return {
        "wall_s": round(wall_s, 1),
        "points": report.points,
        "stage_seconds": stages,
        "load_window_s": round(load_s, 1),
        "overhead_s": round(overhead, 1),
        "planted_bugs_s": round(planted, 1),
        "overhead_without_planted_bugs_s": round(overhead - planted, 1),
        # What grows with the student's own suite (run twice: plain and traced) is the tests stage.
        "grader_stages_s": round(overhead - stages.get("tests", 0.0), 1),
        "capacity_rps": load.get("submission", {}).get("capacity_rps"),
        "calibration_rps": load.get("calibration", {}).get("capacity_rps"),
        "rows": load.get("rows"),
    }


def render(result: dict[str, Any]) -> str:
    """The Markdown record."""
    lines = [
        "# Grading overhead per homework",
        "",
        f"{result['when']} · {result['machine']} · load average at start {result['loadavg']}"
        f" · load window {result['load_seconds']} s per step schedule",
        "",
        "| Homework | Points | Wall s | Load window s | Overhead s | Planted bugs s | "
        "Overhead without them s | Target s | Met | Stages other than tests s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for hw, f in result["homework"].items():
        target = TARGET_OVERHEAD_S[hw]
        met = "yes" if f["overhead_without_planted_bugs_s"] <= target else "**no**"
        lines.append(
            f"| {hw} | {f['points']:g} | {f['wall_s']} | {f['load_window_s']} | {f['overhead_s']} "
            f"| {f['planted_bugs_s']} | {f['overhead_without_planted_bugs_s']} | {target:g} | {met} "
            f"| {f['grader_stages_s']} |"
        )
    lines += [
        "",
        "The tests stage runs the student's own suite twice (as is, and under the grader's line",
        "tracer for coverage and planted-bug selection): its time grows with the suite, not with",
        "the grader. The last column is every other stage beyond the load window.",
        "",
        "Seconds per stage:",
        "",
    ]
    for hw, f in result["homework"].items():
        stages = ", ".join(f"{k} {v:.1f}" for k, v in f["stage_seconds"].items())
        lines.append(f"- {hw}: {stages}")
    lines += ["", "Stress test (the rubric's step schedule, best window):", ""]
    for hw, f in result["homework"].items():
        rows = f["rows"]
        stored = f"; rows: {json.dumps(rows)}" if rows else ""
        lines.append(
            f"- {hw}: capacity {f['capacity_rps']} RPS, calibration {f['calibration_rps']} RPS"
            + stored
        )
    if "hw2_over_hw1" in result:
        ratio = result["hw2_over_hw1"]
        met = "met" if ratio >= TARGET_HW2_OVER_HW1 else "NOT met"
        lines += [
            "",
            f"hw2 / hw1 capacity = **{ratio}** (target >= {TARGET_HW2_OVER_HW1}: {met}).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Grade the references, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-seconds", type=float, default=None)
    parser.add_argument("--homework", nargs="+", default=list(SOLUTIONS), choices=list(SOLUTIONS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "load_seconds": args.load_seconds or "the rubric's",
        "targets_overhead_s": TARGET_OVERHEAD_S,
        "homework": {},
    }
    for hw in args.homework:
        grade_submission(hw, SOLUTIONS[hw], options=Options(skip_load=True))  # warm the caches
        started = time.monotonic()
        report = grade_submission(
            hw, SOLUTIONS[hw], options=Options(load_seconds=args.load_seconds)
        )
        result["homework"][hw] = figures(report, time.monotonic() - started)
    capacities = {hw: f["capacity_rps"] for hw, f in result["homework"].items()}
    if capacities.get("hw1") and capacities.get("hw2"):
        result["hw2_over_hw1"] = round(capacities["hw2"] / capacities["hw1"], 3)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grading_overhead.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "grading_overhead.md").write_text(render(result))
    print(render(result))
    return result


if __name__ == "__main__":
    main()
