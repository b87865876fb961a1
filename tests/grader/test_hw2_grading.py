"""End to end: `grader grade hw2` with a real PostgreSQL per job, on the solution, the starter and
hostile fixtures (patched copies of the solution, ``fixtures/hw2_submissions/``).

Every submission is graded once per session, several at a time (as a batch would). The solution
gets the whole rubric and a short stress test (``load.rows`` needs one); the starter the whole
rubric without the stress test; the fixtures only the checks their bands are about (install,
``service.starts``, the database and faults stages), which keeps this module's time low.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.model import SCHEMA_PATH, Report
from grader.report.render import write_reports
from grader.rubric import load_rubric
from grader.stages import STAGES
from tests.grader.patch_fixtures import build_fixture, fixture_names, suites_keeping
from tests.grader.patch_fixtures import expected as fixture_spec
from tests.grader.references import ReferenceReports

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_full_isolation")]

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "homework" / "hw2_db_k8s" / "solution"
STARTER = ROOT / "homework" / "hw2_db_k8s" / "starter"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hw2_submissions"
NAMES = fixture_names(FIXTURES)
COMMIT = "5eed" * 10
WORKERS = 3
# The checks a fixture is graded on: what its band is about, and nothing that costs more.
FIXTURE_STAGES = ("install", "database", "faults")
FIXTURE_CHECKS = ("service.starts",)
# The container and kube checks come from another part of the grader (30 points).
OTHER_STAGES = ("container", "kube")
MY_POINTS = 70
LOAD_WITHOUT_A_TABLE = ("load.capacity", "load.error_rate")


def expected(name: str) -> dict[str, Any]:
    """A fixture's ``expected.toml``."""
    return fixture_spec(FIXTURES / name)


@pytest.fixture(scope="session")
def hw2_reports(
    tmp_path_factory: pytest.TempPathFactory, reference_reports: ReferenceReports
) -> Iterator[dict[str, Report]]:
    """Every hw2 submission of this module graded once, ``WORKERS`` at a time."""
    base = tmp_path_factory.mktemp("hw2-grading")
    suites = suites_keeping("hw2", base / "suites", stages=FIXTURE_STAGES, checks=FIXTURE_CHECKS)
    jobs: dict[str, tuple[Path, Options]] = {
        "starter": (STARTER, Options(skip_load=True)),
    }
    for name in NAMES:
        jobs[name] = (
            build_fixture(SOLUTION, FIXTURES / name, base / name),
            Options(skip_load=True, suites=suites),
        )
    seconds: dict[str, float] = {}

    def grade(name: str) -> Report:
        started = time.monotonic()
        if name == "solution":  # graded once per session, shared with the course-grade test
            report = reference_reports.get("hw2")
            seconds[name] = round(time.monotonic() - started, 1)
            return report
        path, options = jobs[name]
        report = grade_submission("hw2", path, options=options, commit=COMMIT)
        seconds[name] = round(time.monotonic() - started, 1)
        return report

    order = ["solution", "starter", *NAMES]  # the longest first
    with ThreadPoolExecutor(WORKERS) as pool:
        reports = dict(zip(order, pool.map(grade, order), strict=True))
    print(f"\nhw2 grading wall seconds per job: {seconds}")
    yield reports


def test_rubric_is_seventy_points_plus_the_container_and_kube_checks() -> None:
    rubric = load_rubric("hw2")
    others = sum(c.points for c in rubric.checks if c.stage in OTHER_STAGES)
    assert rubric.max_points == pytest.approx(MY_POINTS + others)
    mine = [c for c in rubric.checks if c.stage not in OTHER_STAGES]
    assert sum(c.points for c in mine) == pytest.approx(MY_POINTS)
    assert sum(c.points for c in rubric.checks if c.group == "hw1_base") == pytest.approx(15)
    stages = {s.name for s in STAGES}
    assert {"database", "faults"} <= stages


def test_solution_passes_every_check(hw2_reports: dict[str, Report], tmp_path: Path) -> None:
    report = hw2_reports["solution"]
    mine = [c for c in report.checks if c.stage not in OTHER_STAGES]
    not_passed = {c.id: c.feedback for c in mine if c.stage != "load" and c.status != "passed"}
    assert not_passed == {}
    load = {c.id: c for c in mine if c.stage == "load"}
    assert load["load.rows"].status == "passed", load["load.rows"].feedback
    assert all(c.status in ("passed", "failed") for c in load.values())
    assert report.load and report.load["rows"]["added"] >= report.load["rows"]["answered_200"]
    non_load = sum(c.max_points for c in mine if c.stage != "load")
    assert sum(c.points for c in mine if c.stage != "load") == pytest.approx(non_load)
    paths = write_reports(report, tmp_path / "reports")
    jsonschema.validate(json.loads(paths["json"].read_text()), json.loads(SCHEMA_PATH.read_text()))


def test_solution_grading_overhead_and_database_start(hw2_reports: dict[str, Report]) -> None:
    """The job's database starts within seconds; the database and faults stages stay short."""
    seconds = hw2_reports["solution"].stage_seconds
    assert 0 < seconds["database_start"] < 20
    assert seconds["database"] < 60 and seconds["faults"] < 60


def test_starter_scores_low_with_actionable_feedback(hw2_reports: dict[str, Report]) -> None:
    report = hw2_reports["starter"]
    # Not run here: the stress test. Its capacity and error-rate points are counted as won;
    # load.rows needs the predictions table the starter does not have.
    skipped_load = sum(c.max_points for c in report.checks if c.id in LOAD_WITHOUT_A_TABLE)
    assert report.points + skipped_load <= 30, [(c.id, c.points) for c in report.checks]
    failed = [c for c in report.checks if c.status == "failed"]
    assert any(c.stage == "database" for c in failed)
    for check in failed:
        assert check.feedback, f"{check.id} failed without feedback"


@pytest.mark.parametrize("name", NAMES)
def test_hostile_fixture_lands_in_its_band(hw2_reports: dict[str, Report], name: str) -> None:
    report = hw2_reports[name]
    spec = expected(name)
    results = {c.id: c for c in report.checks}
    assert not [c.id for c in report.checks if c.status == "error"], [
        (c.id, c.feedback) for c in report.checks if c.status == "error"
    ]
    for check_id, status in spec.get("status", {}).items():
        assert results[check_id].status == status, (check_id, results[check_id].feedback)
    for check_id, text in spec.get("feedback", {}).items():
        assert text in results[check_id].feedback, (check_id, results[check_id].feedback)
    lost = report.max_points - report.points
    if "min_lost" in spec:
        assert lost >= spec["min_lost"], (lost, [(c.id, c.points) for c in report.checks])
    if "max_lost" in spec:
        assert lost <= spec["max_lost"], (lost, [(c.id, c.feedback) for c in report.checks])
    for check in report.checks:
        if check.points < check.max_points:
            assert check.feedback, f"{check.id} lost points without a reason"
