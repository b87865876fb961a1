"""Benchmark: a rehearsal semester, the full simulated class through hw1-hw3, and what a class of 300 costs.

Run: ``uv run python benchmarks/semester.py [--jobs 2] [--skip-load | --load-seconds S] [--out DIR]``.
Writes ``benchmarks/results/semester.json`` and ``.md``: wall time per homework, the overlap factor
(sum of per-submission durations / wall), similarity flagged vs planted, the final gradebook, the
machine's load average, and projections for 300 students, per homework and for the term:

* one machine with the same number of jobs: 300 x (measured wall / students);
* GitHub Actions: a matrix of at most 256 jobs (``--shard K/N``), ``max-parallel`` 8, each job
  paying ~90 s of setup, then grading its students one after another at the measured mean
  per-submission time;
* Kubernetes: an Indexed Job over 8 nodes, one pod per node at a time, each node grading
  300 / 8 students one after another at the measured mean per-submission time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

from grader.semester.run import RunOptions, run_semester

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CLASS_SIZE = 300
MATRIX_CAP, MAX_PARALLEL, SETUP_S = 256, 8, 90.0
K8S_NODES = 8


def projections(per_student_wall: float, mean_submission: float, jobs: int) -> dict:
    """Hours for a class of CLASS_SIZE on one machine, a GitHub matrix and a Kubernetes cluster."""
    matrix_jobs = min(MATRIX_CAP, CLASS_SIZE)
    per_job = math.ceil(CLASS_SIZE / matrix_jobs)
    waves = math.ceil(matrix_jobs / MAX_PARALLEL)
    github = waves * (SETUP_S + per_job * mean_submission)
    k8s = math.ceil(CLASS_SIZE / K8S_NODES) * mean_submission
    return {
        "class_size": CLASS_SIZE,
        "one_machine": {"jobs": jobs, "hours": round(CLASS_SIZE * per_student_wall / 3600, 2)},
        "github_matrix": {
            "jobs": matrix_jobs,
            "students_per_job": per_job,
            "max_parallel": MAX_PARALLEL,
            "setup_s": SETUP_S,
            "hours": round(github / 3600, 2),
        },
        "kubernetes": {"nodes": K8S_NODES, "hours": round(k8s / 3600, 2)},
    }


def term_projection(summary: dict, jobs: int) -> dict:
    """Each graded homework's projection and the term's (hours added over the homework)."""
    per_hw = {
        hw: projections(s["wall_s"] / s["students"], s["mean_submission_s"], jobs)
        for hw, s in summary["homework"].items()
    }
    term = {
        where: round(sum(p[where]["hours"] for p in per_hw.values()), 2)
        for where in ("one_machine", "github_matrix", "kubernetes")
    }
    return {"class_size": CLASS_SIZE, "homework": per_hw, "term_hours": term}


def render(result: dict) -> str:
    """The Markdown summary."""
    summary = result["summary"]
    lines = [
        "# Rehearsal semester (simulated class, every homework)",
        "",
        f"`{result['command']}` on {result['machine']}; load average before "
        f"{' / '.join(map(str, result['load_before']))}, after "
        f"{' / '.join(map(str, summary['load_average']))}. Load stage: {result['load']}. "
        f"Whole rehearsal (generate, three batches, final): {result['total_s']:.0f} s.",
        "",
        "| Homework | Students / jobs | Wall s | Sum of submissions s | Mean s | Overlap "
        "(ideal = jobs) | Code pairs flagged / expected | Missed | False | Planted copy flagged | "
        "Identical hidden failures |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for hw, s in summary["homework"].items():
        sim = s["similarity"]
        lines.append(
            f"| {hw} | {s['students']} / {s['jobs']} | {s['wall_s']:.0f} | "
            f"{s['sum_submission_s']:.0f} | {s['mean_submission_s']:.0f} | "
            f"{s['overlap_factor']:.2f} | {len(sim['flagged'])} / {len(sim['expected'])} | "
            f"{len(sim['missed'])} | {len(sim['false_flags'])} | {sim['planted_copies_flagged']} | "
            f"{', '.join('–'.join(x) for x in sim['behaviour_pairs']) or 'none'} |"
        )
    for hw, reason in summary["not_available"].items():
        lines.append(f"| {hw} | not available: {reason} | | | | | | | | | |")
    p = result["projection"]
    lines += [
        "",
        f"## Projection for a class of {p['class_size']}",
        "",
        "| Where | Assumption | " + " | ".join(f"{hw} h" for hw in p["homework"]) + " | Term h |",
        "|---|---|" + "---:|" * (len(p["homework"]) + 1),
    ]
    first = next(iter(p["homework"].values()), None)
    if first is not None:
        rows = [
            (
                "one_machine",
                f"one machine, {first['one_machine']['jobs']} jobs",
                "measured wall time per student",
            ),
            (
                "github_matrix",
                "GitHub Actions matrix",
                f"{first['github_matrix']['jobs']} jobs x {first['github_matrix']['students_per_job']} "
                f"students, max-parallel {first['github_matrix']['max_parallel']}, "
                f"{first['github_matrix']['setup_s']:.0f} s setup per job",
            ),
            (
                "kubernetes",
                "Kubernetes Indexed Job",
                f"{first['kubernetes']['nodes']} nodes, one pod per node",
            ),
        ]
        for key, where, assumption in rows:
            hours = " | ".join(str(h[key]["hours"]) for h in p["homework"].values())
            lines.append(f"| {where} | {assumption} | {hours} | {p['term_hours'][key]} |")
    lines += [
        "",
        "Per-submission time is measured here with two jobs sharing two cores; a runner or a node "
        "grading one submission at a time is faster, so the matrix and cluster rows are upper bounds.",
        "",
        "Per student, final grades and notes: `summary.md` of the run (copied below).",
        "",
        result["summary_md"],
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--load-seconds", type=float, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--run-dir", type=Path, default=None, help="keep the rehearsal here")
    args = parser.parse_args(argv)
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="semester-bench-")) / "run"
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    summary = run_semester(
        run_dir,
        ["hw1", "hw2", "hw3"],
        RunOptions(args.jobs, args.skip_load, args.load_seconds),
    )
    total = time.monotonic() - started
    command = (
        "uv run python benchmarks/semester.py"
        + (" --skip-load" if args.skip_load else "")
        + (f" --load-seconds {args.load_seconds:g}" if args.load_seconds else "")
        + f" --jobs {args.jobs}"
    )
    result = {
        "command": command,
        "machine": f"{platform.node()} ({os.cpu_count()} CPUs, Python {platform.python_version()})",
        "load_before": load_before,
        "load": "skipped (--skip-load)"
        if args.skip_load
        else f"windows of {args.load_seconds or 'the rubric'} s",
        "total_s": round(total, 1),
        "run_dir": str(run_dir),
        "summary": summary,
        "projection": term_projection(summary, args.jobs),
        "summary_md": (run_dir / "summary.md").read_text(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "semester.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "semester.md").write_text(render(result))
    print(render(result))
    return result


if __name__ == "__main__":
    main()
