"""Benchmark: how long grading takes, for a student's self-check and for an instructor's batch.

Run: ``uv run python benchmarks/grading_time.py [--load-seconds N] [--batch-size N] [--jobs N]``.
Writes ``benchmarks/results/grading_time.json`` and ``.md``. Targets:

- ``grader check`` on a passing hw1 with a warm cache (install cache and the calibration cached per
  machine and grader version), the rubric's own load profile: <= 60 s;
- a service that never becomes healthy, graded end to end with the rubric's start-up timeout: <= 75 s
  (the timeout is paid once per grading);
- ``grade``: everything but the load window <= 15 s per hw1 submission with a warm install cache;
- a batch: everything but the exclusive load windows overlaps (non-load work summed over jobs / wall
  time outside load windows ~ jobs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from grader.grading.batch import SubmissionRef, run_batch
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.model import load_report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
VARIANTS = ["solution", "solution_flask", "starter"]
FIXTURES = ROOT / "tests" / "grader" / "fixtures" / "submissions"
TARGETS = {"check_warm_s": 60.0, "never_healthy_s": 75.0, "grade_non_load_s": 15.0}


def timed_check(source: Path) -> tuple[float, float]:
    """(wall seconds, points) of a ``check`` (visible checks, cached calibration)."""
    started = time.monotonic()
    report = grade_submission("hw1", source, options=Options(mode="check"))
    return round(time.monotonic() - started, 1), report.points


def never_healthy_submission(into: Path) -> Path:
    """The corpus' never-healthy fixture: the compliant base with a /health that answers 503."""
    target = into / "never_healthy"
    shutil.copytree(FIXTURES / "_base", target, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(FIXTURES / "never_healthy" / "behaviour.py", target / "behaviour.py")
    return target


def non_load(stages: dict[str, float]) -> float:
    """Seconds spent outside the load stage."""
    return round(sum(v for k, v in stages.items() if k != "load"), 2)


def _calibrate(options: Options) -> float:
    """Measure the calibration service (cached for the batch that follows); return its wall time."""
    from grader.checks.holdout import load_holdout
    from grader.load.calibration import measure_calibration
    from grader.rubric import load_rubric
    from grader.sandbox import detect_isolation
    from grader.stages.load import schedule_from

    rubric = load_rubric("hw1")
    customers = [row["customer"] for row in load_holdout(rubric.directory.parent)[:200]]
    started = time.monotonic()
    measure_calibration(detect_isolation(), schedule_from(rubric, options.load_seconds), customers)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> dict:
    """Run both measurements and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-seconds", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    solution = ROOT / "homework/hw1_api/solution"
    options = Options(load_seconds=args.load_seconds)

    grade_submission("hw1", solution, options=Options(skip_load=True))  # warm the install cache
    single = grade_submission("hw1", solution, options=options)
    timed_check(solution)  # warms the calibration cache of `check` (per machine and version)
    check_s, check_points = timed_check(solution)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        broken = never_healthy_submission(Path(tmp))
        started = time.monotonic()
        never = grade_submission("hw1", broken, options=Options())
        never_s = round(time.monotonic() - started, 1)

    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        refs = []
        for i in range(args.batch_size):
            variant = VARIANTS[i % len(VARIANTS)]
            target = Path(tmp) / "subs" / f"student{i:02d}-{variant}"
            shutil.copytree(
                ROOT / "homework/hw1_api" / variant,
                target,
                ignore=shutil.ignore_patterns("__pycache__", ".venv", ".pytest_cache"),
            )
            refs.append(SubmissionRef(target.name, str(target)))
        out = Path(tmp) / "grades"
        started = time.monotonic()
        calibration_s = _calibrate(options)  # what run_batch does first; timed on its own here
        rows = run_batch("hw1", refs, out, options, args.jobs, progress=lambda m: None)
        wall = time.monotonic() - started
        reports = [load_report(out / r["report"]) for r in rows]
    load_total = sum(r.stage_seconds.get("load", 0.0) for r in reports) + calibration_s
    non_load_total = sum(non_load(r.stage_seconds) for r in reports)
    outside_load = max(wall - load_total, 1e-9)
    result = {
        "load_seconds": args.load_seconds,
        "targets": TARGETS,
        "check_warm": {"wall_s": check_s, "points": check_points},
        "never_healthy": {
            "wall_s": never_s,
            "service_starts": next(c.feedback for c in never.checks if c.id == "service.starts"),
            "points": never.points,
        },
        "single": {
            "stage_seconds": single.stage_seconds,
            "non_load_s": non_load(single.stage_seconds),
            "points": single.points,
            "target_non_load_s": 15.0,
            "meets_target": non_load(single.stage_seconds) <= 15.0,
        },
        "batch": {
            "submissions": len(reports),
            "jobs": args.jobs,
            "wall_s": round(wall, 1),
            "load_windows_s": round(load_total, 1),
            "non_load_work_s": round(non_load_total, 1),
            "overlap_factor": round(non_load_total / outside_load, 2),
            "scores": {r.student_id: r.points for r in reports},
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grading_time.json").write_text(json.dumps(result, indent=2) + "\n")
    stages = " | ".join(f"{k} {v:.1f} s" for k, v in single.stage_seconds.items())
    batch = result["batch"]
    lines = [
        "# Grading wall time (hw1)",
        "",
        f"`grader check` on the reference solution, warm caches, the rubric's load profile: "
        f"**{check_s} s** (target <= {TARGETS['check_warm_s']:g} s: "
        f"{'met' if check_s <= TARGETS['check_warm_s'] else 'NOT met'}).",
        "",
        f"A service that never becomes healthy, graded end to end (start-up timeout of the policy): "
        f"**{never_s} s** (target <= {TARGETS['never_healthy_s']:g} s: "
        f"{'met' if never_s <= TARGETS['never_healthy_s'] else 'NOT met'}).",
        "",
        f"Single submission (reference solution, warm cache): {stages}.",
        f"Everything but the load window: **{result['single']['non_load_s']} s** (target <= 15 s: "
        f"{'met' if result['single']['meets_target'] else 'NOT met'}).",
        "",
        "| Batch | Value |",
        "|---|---|",
        f"| submissions / jobs | {batch['submissions']} / {batch['jobs']} |",
        f"| wall time | {batch['wall_s']} s |",
        f"| exclusive load windows (incl. one calibration) | {batch['load_windows_s']} s |",
        f"| non-load work summed over jobs | {batch['non_load_work_s']} s |",
        f"| overlap factor outside load windows (ideal = jobs) | {batch['overlap_factor']} |",
    ]
    (args.out / "grading_time.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    main()
