"""A made-up class for the class dashboard: deterministic grader reports and gradebooks.

Twenty fake students get an hw1 report each, with the real rubric's check ids, titles, stages and
points (``grader.rubric.load_rubric("hw1")``) and outcomes drawn from a seeded generator: harder
checks fail more often, a student whose service does not start gets the later checks skipped, a few
submissions are late. hw2 and hw3 get gradebook rows only (their rubrics do not exist yet), so that
the course formula has all three homework scores to combine.

Write the class to a directory, laid out like ``grader batch`` output::

    uv run python demos/sample_reports.py --out /tmp/sample-class
    # /tmp/sample-class/<student>/report.json (+ report.md, junit.xml, results.json)
    # /tmp/sample-class/gradebook-hw1.csv, gradebook-hw2.csv, gradebook-hw3.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as a script: make `grader` importable
    sys.path.insert(0, str(ROOT))

from grader.contracts import load_contract  # noqa: E402
from grader.course.config import load_course_config  # noqa: E402
from grader.course.gradebook import gradebook_row, write_gradebook  # noqa: E402
from grader.report.model import CheckResult, Report  # noqa: E402
from grader.report.render import write_reports  # noqa: E402
from grader.rubric import Check, load_rubric  # noqa: E402
from grader.version import GRADER_VERSION  # noqa: E402

DEFAULT_SEED = 2026
DEFAULT_STUDENTS = 20
HANDLES = [
    "amina-b", "bruno-c", "chen-d", "dara-e", "elif-f", "farid-g", "greta-h", "hiro-i",
    "ines-j", "jonas-k", "kofi-l", "lena-m", "mateo-n", "nadia-o", "omar-p", "priya-q",
    "quinn-r", "rosa-s", "sven-t", "tala-u", "umar-v", "vera-w", "wei-x", "yara-y",
]  # fmt: skip
# How hard each check is for the class (0 = everyone passes, 0.6 = most fail); unknown ids: 0.3.
DIFFICULTY = {
    "install.environment": 0.0,
    "static.required_files": 0.05,
    "static.ruff_lint": 0.3,
    "static.ruff_format": 0.15,
    "tests.public": 0.2,
    "tests.student": 0.35,
    "service.starts": 0.05,
    "api.openapi": 0.1,
    "api.model_info": 0.25,
    "api.predict": 0.1,
    "api.batch": 0.25,
    "api.batch_limits": 0.5,
    "api.validation": 0.6,
    "api.consistency": 0.3,
    "model.holdout_quality": 0.1,
    "api.robustness": 0.5,
    "load.error_rate": 0.15,
    "load.latency_p95": 0.45,
    "load.throughput": 0.35,
}
PARTIAL_CREDIT = {"tests.public", "tests.student", "api.validation", "api.robustness", "api.batch"}
FAILURES = {
    "install.environment": ["uv sync failed: no solution for numpy==1.19 on Python 3.11"],
    "static.required_files": [
        "missing: uv.lock",
        "pyproject.toml has no [tool.mlops-course] serve",
    ],
    "static.ruff_lint": [
        "3 findings: F401 unused import (app/main.py:3), B006 (app/model.py:41), E711",
        "12 findings, first: I001 import block is un-sorted (app/routers/predict.py:1)",
    ],
    "static.ruff_format": ["2 files would be reformatted: app/main.py, tests/test_api.py"],
    "tests.public": [
        "2 of 14 public tests failed: test_predict_batch_order, test_total_charges_null",
        "5 of 14 public tests failed, first: test_validation_rejects_strings",
    ],
    "tests.student": [
        "3 tests collected, at least 5 required",
        "1 of 9 tests failed: tests/test_api.py::test_predict_high_risk",
    ],
    "service.starts": ["GET /health did not answer 200 within 60 s (ModuleNotFoundError: app)"],
    "api.openapi": ["/predict/batch is missing from /openapi.json"],
    "api.model_info": [
        "GET /model: 'metrics' is a required property",
        "GET /model: features has 17 items, expected 19",
    ],
    "api.predict": ["churn_probability 1.37 is greater than the maximum of 1"],
    "api.batch": [
        "predictions came back in a different order than the customers",
        "customer_id was not echoed back in the batch predictions",
    ],
    "api.batch_limits": [
        "a batch of 1001 customers got 200, expected 413 or 422",
        "an empty batch got 200, expected 422",
    ],
    "api.validation": [
        "- tenure=-1 got 200\n- contract='Weekly' got 200\n- total_charges='12' got 200",
        "- an unknown field got 200 (extra fields must be rejected)\n- female=true got 200",
        "- monthly_charges=NaN got 500",
    ],
    "api.consistency": ["single and batch probabilities differ by 0.0231 for 4 customers"],
    "model.holdout_quality": ["hold-out ROC-AUC 0.761 is below the floor 0.80"],
    "api.robustness": [
        "a 5 MB body got 500 and the service stopped answering /health for 3 s",
        "a deeply nested JSON body got 500",
    ],
    "load.error_rate": ["2.4 % of requests failed (limit 1 %)"],
    "load.latency_p95": [
        "p95 412 ms, bound 250 ms (calibration p95 21 ms)",
        "p95 268 ms, bound 250 ms (a one-row DataFrame per request?)",
    ],
    "load.throughput": ["4.1 requests/s, needed 4.5 (0.8 of the calibration service)"],
}
PASSES = {
    "tests.student": "11 tests passed",
    "tests.public": "14 of 14 public tests passed",
    "api.validation": "every class of invalid input got 422 naming the field",
    "model.holdout_quality": "hold-out ROC-AUC 0.846 (floor 0.80)",
    "load.latency_p95": "p95 18 ms, bound 150 ms",
}
ISOLATION = {
    "level": "full",
    "filesystem": "allow-list (bubblewrap)",
    "override": False,
    "network": "netns",
    "user": "nobody",
    "process_limit": "pids cgroup",
    "notes": [],
}


@dataclass
class SampleClass:
    """hw1 reports (one per student) and a gradebook's rows for each of hw1, hw2 and hw3."""

    reports: list[Report]
    gradebooks: dict[str, list[dict[str, str]]]


def _repository(student: str, homework: str) -> str:
    return f"https://github.com/example-course/{homework}-{student}"


def _outcome(
    rng: random.Random, check: Check, ability: float, blocked: str | None
) -> tuple[str, float, str]:
    """(status, points, feedback) for one check of one student."""
    if blocked:
        return "skipped", 0.0, f"skipped: {blocked}"
    if check.stage in ("api", "load") and rng.random() < 0.015:
        return "error", 0.0, "error: the check itself failed (ReadTimeout after 10 s); regrade"
    difficulty = DIFFICULTY.get(check.id, 0.3)
    chance = min(0.98, max(0.03, 1.2 * ability + 0.2 - difficulty))
    if rng.random() < chance:
        return "passed", check.points, PASSES.get(check.id, "ok")
    feedback = rng.choice(FAILURES.get(check.id, ["the check failed"]))
    if check.id in PARTIAL_CREDIT:
        share = rng.choice([0.25, 0.5, 0.5, 0.75])
        return "failed", round(check.points * share * 2) / 2, feedback
    return "failed", 0.0, feedback


def _report(
    rng: random.Random, student: str, ability: float, submitted: dt.datetime, graded: dt.datetime
) -> Report:
    rubric = load_rubric("hw1")
    checks = []
    blocked: str | None = None
    for check in rubric.checks:
        status, points, feedback = _outcome(rng, check, ability, blocked)
        duration = round(rng.uniform(0.05, 2.5) * (8 if check.stage == "load" else 1), 2)
        checks.append(
            CheckResult(
                check.id,
                check.title,
                check.stage,
                check.visibility,
                status,  # type: ignore[arg-type]
                points,
                check.points,
                feedback,
                0.0 if status == "skipped" else duration,
            )
        )
        if check.id == "install.environment" and status != "passed":
            blocked = "the environment did not install"
        elif check.id == "service.starts" and status != "passed":
            blocked = "the service did not start"
    stage_seconds: dict[str, float] = {}
    for c in checks:
        stage_seconds[c.stage] = round(stage_seconds.get(c.stage, 0.0) + c.duration_s, 2)
    return Report(
        homework="hw1",
        mode="grade",
        student_id=student,
        repository=_repository(student, "hw1"),
        commit=f"{rng.getrandbits(160):040x}",
        grader_version=GRADER_VERSION,
        rubric_sha256=rubric.sha256,
        contract_version=load_contract("hw1")["contract_version"],
        isolation=dict(ISOLATION),
        calibration={
            "rps": round(rng.uniform(450, 520), 1),
            "p95_ms": round(rng.uniform(15, 25), 1),
            "error_rate": 0.0,
        },
        started_at=graded.isoformat(),
        duration_s=round(sum(stage_seconds.values()) + rng.uniform(5, 15), 2),
        checks=checks,
        submitted_at=submitted.isoformat(),
        stage_seconds=stage_seconds,
    )


def _submission_time(rng: random.Random, deadline: dt.datetime, late: bool) -> dt.datetime:
    if late:
        return deadline + dt.timedelta(hours=rng.randint(2, 60))
    return deadline - dt.timedelta(hours=rng.randint(1, 96), minutes=rng.randint(0, 59))


def sample_class(students: int = DEFAULT_STUDENTS, seed: int = DEFAULT_SEED) -> SampleClass:
    """The same class for the same arguments: hw1 reports and hw1..hw3 gradebook rows."""
    if not 1 <= students <= len(HANDLES):
        raise ValueError(f"students must be between 1 and {len(HANDLES)}")
    rng = random.Random(seed)
    deadlines = load_course_config().deadlines
    handles = HANDLES[:students]
    late = {hw: set(rng.sample(handles, k=min(2, students))) for hw in ("hw1", "hw2", "hw3")}
    missing_hw3 = handles[-1] if students > 3 else None
    reports: list[Report] = []
    gradebooks: dict[str, list[dict[str, str]]] = {"hw1": [], "hw2": [], "hw3": []}
    for student in handles:
        ability = rng.betavariate(5, 2)
        submitted = _submission_time(rng, deadlines["hw1"], student in late["hw1"])
        graded = deadlines["hw1"] + dt.timedelta(days=1, minutes=3 * len(reports))
        report = _report(rng, student, ability, submitted, graded)
        reports.append(report)
        gradebooks["hw1"].append(
            gradebook_row(
                report,
                student,
                "hw1",
                report.repository,
                report_path=f"{student}/report.json",
            )
        )
        for hw in ("hw2", "hw3"):
            repository = _repository(student, hw)
            if hw == "hw3" and student == missing_hw3:
                row = gradebook_row(None, student, hw, repository, "repository not found")
            else:
                share = min(1.0, max(0.0, rng.gauss(ability, 0.12)))
                row = {
                    "student_id": student,
                    "homework": hw,
                    "repository": repository,
                    "commit": f"{rng.getrandbits(160):040x}",
                    "submitted_at": _submission_time(
                        rng, deadlines[hw], student in late[hw]
                    ).isoformat(),
                    "points": f"{round(100 * share, 1):g}",
                    "max_points": "100",
                    "percent": f"{100 * share:.2f}",
                    "status": "graded",
                    "report": "",
                }
            gradebooks[hw].append(row)
    return SampleClass(reports, gradebooks)


def write_sample_class(
    out_dir: Path, students: int = DEFAULT_STUDENTS, seed: int = DEFAULT_SEED
) -> SampleClass:
    """Write the sample class like ``grader batch`` output: reports per student + gradebook CSVs."""
    sample = sample_class(students, seed)
    for report in sample.reports:
        write_reports(report, out_dir / report.student_id, "instructor")
    for hw, rows in sample.gradebooks.items():
        write_gradebook(out_dir / f"gradebook-{hw}.csv", rows)
    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write the class to")
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    sample = write_sample_class(args.out, args.students, args.seed)
    print(f"wrote {len(sample.reports)} hw1 reports and 3 gradebooks to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
