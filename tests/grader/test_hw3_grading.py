"""End to end: `grader grade hw3` on the solution, the starter and the tests-stage fixtures.

Every submission is graded once per session, several at a time (as a batch would). The solution
gets the whole rubric with a short stress test, and must earn every point with the Prometheus
checks executed; the starter gets the whole rubric without the stress test; the ``tests_``
fixtures (``fixtures/hw3_submissions/``) only the tests stage. The observability, monitoring and
delivery stages grade their own fixtures in their own modules.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from grader.course.config import load_course_config
from grader.course.gradebook import gradebook_row, write_gradebook
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.model import SCHEMA_PATH, Report
from grader.report.render import write_reports
from grader.rubric import load_rubric
from tests.grader.patch_fixtures import (
    assert_in_band,
    build_fixture,
    expected,
    fixture_names,
    suites_keeping,
)
from tests.grader.references import ReferenceReports

# The session fixture grades the solution (its suite, coverage and planted bugs take minutes),
# the starter and a fixture at once: more than the suite-wide timeout on a busy machine.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("require_full_isolation"),
    pytest.mark.timeout(1800),
]

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "homework" / "hw3_ci_monitoring" / "solution"
STARTER = ROOT / "homework" / "hw3_ci_monitoring" / "starter"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hw3_submissions"
NAMES = [n for n in fixture_names(FIXTURES) if n.startswith("tests_")]
COMMIT = "5eed" * 10
WORKERS = 3
# Not run for the starter: the stress test. Its points are counted as won in the starter's band.
LOAD_CHECKS = ("load.capacity", "load.error_rate", "load.rows")
# What a busy machine can cost a correct submission: the stress test's points, and planted bugs
# left unrun when the budget ran out before the suite got through them.
MACHINE_BOUND = ("load.capacity", "load.error_rate", "load.rows", "tests.quality")


@pytest.fixture(scope="session")
def hw3_reports(
    tmp_path_factory: pytest.TempPathFactory, reference_reports: ReferenceReports
) -> Iterator[dict[str, Report]]:
    """Every hw3 submission of this module graded once, ``WORKERS`` at a time."""
    base = tmp_path_factory.mktemp("hw3-grading")
    suites = suites_keeping(
        "hw3", base / "suites", stages=["install", "tests"], checks=["service.starts"]
    )
    jobs: dict[str, tuple[Path, Options]] = {
        "starter": (STARTER, Options(skip_load=True)),
    }
    for name in NAMES:
        target = build_fixture(SOLUTION, FIXTURES / name, base / name)
        jobs[name] = (target, Options(skip_load=True, suites=suites))
    seconds: dict[str, float] = {}

    def grade(name: str) -> Report:
        started = time.monotonic()
        if name == "solution":  # graded once per session, shared with the course-grade test
            report = reference_reports.get("hw3")
            seconds[name] = round(time.monotonic() - started, 1)
            return report
        path, options = jobs[name]
        report = grade_submission("hw3", path, options=options, commit=COMMIT)
        seconds[name] = round(time.monotonic() - started, 1)
        return report

    order = ["solution", "starter", *NAMES]  # the longest first
    with ThreadPoolExecutor(WORKERS) as pool:
        reports = dict(zip(order, pool.map(grade, order), strict=True))
    print(f"\nhw3 grading wall seconds per job: {seconds}")
    yield reports


def test_rubric_is_a_hundred_points_with_earlier_homework_capped_at_fifteen() -> None:
    rubric = load_rubric("hw3")
    assert rubric.max_points == pytest.approx(100)
    group = [c for c in rubric.checks if c.group == "earlier_homework"]
    assert sum(c.points for c in group) == pytest.approx(15)
    hw1, hw2 = load_rubric("hw1"), load_rubric("hw2")
    rerun = {c.id for c in group}
    service_checks = {c.id for c in hw1.checks if c.stage in ("api",)} | {
        c.id for c in hw2.checks if c.stage == "database"
    }
    assert service_checks <= rerun, "every hw1/hw2 service check runs again in hw3"


def test_solution_earns_every_point(hw3_reports: dict[str, Report], tmp_path: Path) -> None:
    report = hw3_reports["solution"]
    not_passed = {
        c.id: c.feedback for c in report.checks if c.stage != "load" and c.status != "passed"
    }
    assert not_passed == {}
    load = {c.id: c for c in report.checks if c.stage == "load"}
    assert all(c.status in ("passed", "failed") for c in load.values())
    non_load = sum(c.max_points for c in report.checks if c.stage != "load")
    # Points are rounded to cents per check; a capped group's maxima are not.
    earned = sum(c.points for c in report.checks if c.stage != "load")
    assert earned == pytest.approx(non_load, abs=0.01 * len(report.checks))
    executed = {c.stage for c in report.checks if c.status == "passed"}
    assert {"observability", "monitoring", "delivery"} <= executed
    paths = write_reports(report, tmp_path / "reports")
    jsonschema.validate(json.loads(paths["json"].read_text()), json.loads(SCHEMA_PATH.read_text()))


def test_solution_coverage_is_measured_by_the_grader(hw3_reports: dict[str, Report]) -> None:
    coverage = {c.id: c for c in hw3_reports["solution"].checks}["tests.coverage"]
    assert coverage.status == "passed" and "statements of your app code" in coverage.feedback


def test_starter_scores_low_with_actionable_feedback(hw3_reports: dict[str, Report]) -> None:
    report = hw3_reports["starter"]
    # Not run here: the stress test. Its points count as won, except those whose `requires`
    # (metrics.exposition) failed: they would be "not judged" anyway.
    results = {c.id: c for c in report.checks}
    rubric = load_rubric("hw3")
    assumed = sum(
        c.max_points
        for c in report.checks
        if c.id in LOAD_CHECKS
        and (
            not rubric.check(c.id).requires
            or results[rubric.check(c.id).requires].status == "passed"
        )
    )
    assert report.points + assumed <= 30, [(c.id, c.points) for c in report.checks if c.points]
    failed = [c for c in report.checks if c.status == "failed"]
    assert {"observability", "monitoring"} <= {c.stage for c in failed}
    for check in failed:
        assert check.feedback, f"{check.id} failed without feedback"


@pytest.mark.parametrize("name", NAMES)
def test_fixture_lands_in_its_band(hw3_reports: dict[str, Report], name: str) -> None:
    assert_in_band(hw3_reports[name], expected(FIXTURES / name))


# Last in the session (hw1 and hw2 were graded by their modules, hw3 by this one): alone, it
# grades all three references.
@pytest.mark.timeout(2400)
def test_course_grade_of_the_reference_student(
    reference_reports: ReferenceReports, tmp_path: Path
) -> None:
    """The three reference solutions, graded for real, make one student's course grade.

    The reference student earns the formula's maximum except what a busy machine took: the
    stress test's points and planted bugs not run within the budget (MACHINE_BOUND).
    """
    config = load_course_config()
    books = {}
    load_lost = 0.0
    for hw in ("hw1", "hw2", "hw3"):
        report = reference_reports.get(hw)
        load_lost += config.weights[hw] * sum(
            c.max_points - c.points for c in report.checks if c.id in MACHINE_BOUND
        )
        row = gradebook_row(report, "reference", hw, f"course/{hw}")
        row["submitted_at"] = config.deadlines[hw].isoformat()
        books[hw] = tmp_path / f"{hw}.csv"
        write_gradebook(books[hw], [row])
    out = tmp_path / "final.csv"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "final", *(f"{hw}={p}" for hw, p in books.items())]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (row,) = list(csv.DictReader(out.open()))
    maximum = 10 * sum(config.weights.values())
    assert float(row["final"]) <= maximum
    assert float(row["final"]) >= round(maximum - load_lost / 10, 2) - 0.01, (row, load_lost)
