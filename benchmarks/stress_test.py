"""Benchmark: the grader's stress test on three services, and the planted-bug stage on the reference.

Run: ``uv run python benchmarks/stress_test.py [--repeats 3] [--out DIR]`` (about four minutes).
Writes ``results/stress_test.json`` and ``.md``:

- capacity (the load stage's definition, rubric schedule, one window per repeat) of the hw1
  reference solution, the calibration service and a *plain-cost* service (the corpus' standard-
  library service burning the calibration service's time per request), measured interleaved,
  ``--repeats`` times; the median, the spread ((max - min) / max) and the ratio to the calibration;
- the ``tests.quality`` stage on the reference: planted bugs run, caught, seconds;
- grading time per submission (every stage) for the reference.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader.checks.holdout import load_holdout
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.load.run import measure
from grader.rubric import load_rubric
from grader.sandbox import Sandbox, detect_isolation
from grader.service import start_service
from grader.stages.load import schedule_from

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIXTURES = ROOT / "tests" / "grader" / "fixtures" / "submissions"


def services(tmp: Path, burn_ms: float) -> dict[str, tuple[list[str], Path, dict[str, str]]]:
    """(serve argv, working directory, extra environment) of the three services."""
    plain = tmp / "plain_cost"
    shutil.copytree(
        FIXTURES / "_base", plain, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
    )
    shutil.copy(FIXTURES / "plain_cost" / "behaviour.py", plain / "behaviour.py")
    (plain / "fixture_runtime.json").write_text(json.dumps({"burn_ms": burn_ms}))
    python = sys.executable
    uvicorn = [
        python,
        "-m",
        "uvicorn",
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--log-level",
        "warning",
    ]
    env = {"PATH": f"{Path(python).parent}:/usr/bin:/bin"}
    return {
        "reference": (
            [*uvicorn, "app.main:app", "--no-access-log"],
            ROOT / "homework/hw1_api/solution",
            {**env, "PYTHONPATH": str(ROOT / "homework/hw1_api/solution")},
        ),
        "calibration": ([*uvicorn, "grader.calibration.app:app"], ROOT, {**env, "PYTHONPATH": ""}),
        "plain_cost": (
            [python, "server.py", "--host", "{host}", "--port", "{port}"],
            plain,
            {**env, "PYTHONPATH": str(plain)},
        ),
    }


def main(argv: list[str] | None = None) -> dict:
    """Measure and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rubric = load_rubric("hw1")
    schedule = dataclasses.replace(schedule_from(rubric), windows=1)
    customers = [row["customer"] for row in load_holdout(rubric.directory.parent)[:200]]
    trusted = dataclasses.replace(detect_isolation(), bwrap=None, drop_user=False)
    capacities: dict[str, list[float]] = {"reference": [], "calibration": [], "plain_cost": []}
    with tempfile.TemporaryDirectory(prefix="stress-bench-") as tmp:
        running = {}
        boxes = []
        try:
            # The calibration first: the plain-cost service burns its measured time per request.
            first = None
            for name in ("calibration", "reference", "plain_cost"):
                if name == "plain_cost":
                    burn = 1000.0 / max(first, 1e-9)
                    argv_, cwd, env = services(Path(tmp), burn)[name]
                else:
                    argv_, cwd, env = services(Path(tmp), 0.0)[name]
                box = Sandbox(Path(tmp) / f"box-{name}", trusted)
                box.workdir.mkdir()
                box.prepare_dirs()
                boxes.append(box)
                box.src = cwd  # run from the service's own directory
                running[name] = start_service(box, argv_, 60.0, env_extra=env)
                if name == "calibration":
                    first = measure(
                        running[name].base_url, running[name].netns, customers, schedule
                    ).capacity
            for _ in range(args.repeats):  # interleaved: one window of each service per round
                for name, service in running.items():
                    result = measure(service.base_url, service.netns, customers, schedule)
                    capacities[name].append(result.capacity)
        finally:
            for box in boxes:
                box.close()
    started = time.monotonic()
    report = grade_submission("hw1", ROOT / "homework/hw1_api/solution", options=Options())
    grading_s = round(time.monotonic() - started, 1)
    calibration = statistics.median(capacities["calibration"])
    figures = {
        name: {
            "capacities_rps": values,
            "median_rps": round(statistics.median(values), 1),
            "spread": round((max(values) - min(values)) / max(values), 3) if max(values) else 0.0,
            "ratio_to_calibration": round(statistics.median(values) / calibration, 2),
        }
        for name, values in capacities.items()
    }
    result = {
        "schedule": dataclasses.asdict(schedule),
        "repeats": args.repeats,
        "capacity": figures,
        "reference_grade": {
            "points": report.points,
            "seconds": grading_s,
            "stage_seconds": report.stage_seconds,
            "mutation": report.mutation,
            "load": {c.id: c.points for c in report.checks if c.stage == "load"},
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stress_test.json").write_text(json.dumps(result, indent=2) + "\n")
    mutation = report.mutation or {}
    lines = [
        "# Stress test and planted bugs (hw1)",
        "",
        f"Schedule: {list(schedule.users)} users, {schedule.step_seconds:g} s per step; "
        f"{args.repeats} interleaved windows per service.",
        "",
        "| Service | Capacities (RPS) | Median | Spread | Ratio to calibration |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {name} | {', '.join(f'{v:.0f}' for v in f['capacities_rps'])} | "
            f"{f['median_rps']} | {f['spread']:.0%} | {f['ratio_to_calibration']} |"
            for name, f in figures.items()
        ),
        "",
        f"Reference graded end to end: {report.points:g}/100 in {grading_s} s "
        f"(stages: {', '.join(f'{k} {v:.0f} s' for k, v in report.stage_seconds.items())}).",
        f"Planted bugs on the reference: {len(mutation.get('killed', []))} caught of "
        f"{len(mutation.get('killed', [])) + len(mutation.get('survived', []))} run, "
        f"{mutation.get('not_run', 0)} not run, {mutation.get('seconds', 0)} s.",
    ]
    (args.out / "stress_test.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    main()
