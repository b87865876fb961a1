"""Benchmark: a rehearsal semester, the full simulated hw1 class, and what a class of 300 would cost.

Run: ``uv run python benchmarks/semester.py [--jobs 2] [--skip-load | --load-seconds S] [--out DIR]``.
Writes ``benchmarks/results/semester.json`` and ``.md``: wall time per homework, the overlap factor
(sum of per-submission durations / wall), similarity flagged vs planted, the final gradebook, the
machine's load average, and projections for 300 students:

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


def render(result: dict) -> str:
    """The Markdown summary."""
    hw = result["summary"]["homework"]["hw1"]
    p = result["projection"]
    sim = hw["similarity"]
    lines = [
        "# Rehearsal semester (simulated hw1 class)",
        "",
        f"`{result['command']}` on {result['machine']}; load average before "
        f"{' / '.join(map(str, result['load_before']))}, after "
        f"{' / '.join(map(str, result['summary']['load_average']))} (2 cores shared with other work: "
        "absolute times are pessimistic).",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| students / jobs | {hw['students']} / {hw['jobs']} |",
        f"| load stage | {result['load']} |",
        f"| wall time, hw1 batch | {hw['wall_s']:.0f} s |",
        f"| sum of per-submission durations | {hw['sum_submission_s']:.0f} s (mean {hw['mean_submission_s']:.0f} s) |",
        f"| overlap factor (sum / wall; ideal = jobs) | {hw['overlap_factor']:.2f} |",
        f"| similarity | {sim['verdict']}: {len(sim['flagged'])} code pairs flagged, {len(sim['expected'])} expected (same base), "
        f"missed {len(sim['missed'])}, false {len(sim['false_flags'])}; planted disguised copy flagged: {sim['planted_copies_flagged']} |",
        f"| behaviour pairs (identical hidden failures) | {', '.join('–'.join(x) for x in sim['behaviour_pairs']) or 'none'} |",
        f"| whole rehearsal (generate, batch, final) | {result['total_s']:.0f} s |",
        f"| hw2, hw3 | {'; '.join(f'{k}: {v}' for k, v in result['summary']['not_available'].items()) or 'graded'} |",
        "",
        f"## Projection for a class of {p['class_size']}",
        "",
        "| Where | Assumption | Hours |",
        "|---|---|---:|",
        f"| one machine, {p['one_machine']['jobs']} jobs | measured wall time per student | {p['one_machine']['hours']} |",
        f"| GitHub Actions matrix | {p['github_matrix']['jobs']} jobs x {p['github_matrix']['students_per_job']} students, "
        f"max-parallel {p['github_matrix']['max_parallel']}, {p['github_matrix']['setup_s']:.0f} s setup per job | {p['github_matrix']['hours']} |",
        f"| Kubernetes Indexed Job | {p['kubernetes']['nodes']} nodes, one pod per node | {p['kubernetes']['hours']} |",
        "",
        "Per-submission time is measured here with two jobs sharing two busy cores; a runner or a node "
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
    hw1 = summary["homework"]["hw1"]
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
        "projection": projections(
            hw1["wall_s"] / hw1["students"], hw1["mean_submission_s"], args.jobs
        ),
        "summary_md": (run_dir / "summary.md").read_text(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "semester.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "semester.md").write_text(render(result))
    print(render(result))
    return result


if __name__ == "__main__":
    main()
