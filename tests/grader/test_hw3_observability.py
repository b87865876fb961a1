"""The hw3 observability stage: metrics and logs of the running service, before any Prometheus.

End to end, ``grade_submission("hw3", ...)`` with a real PostgreSQL per job runs the stage on the
hw3 solution (full marks), the starter (nothing, with feedback a student can act on) and hostile
fixtures, patched copies of the solution in ``fixtures/hw3_submissions/obs_*`` (each with its band
in ``expected.toml``: ``[status]``, ``[points]`` as ``[low, high]``, ``[feedback]`` text,
``min_lost`` / ``max_lost`` over the stage's checks). Every submission is graded once per session,
three at a time, keeping only the install stage, ``service.starts`` and this stage.

The fast tests below use real pieces too: a pipe drained by ``CappedOutput``, an exposition
written by ``prometheus_client``, the contract.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from grader.checks.api import Verdict
from grader.checks.logs import LogSpec, field_problem
from grader.checks.metrics import MetricsSpec, family_problems, histogram_problems, scrape
from grader.checks.metrics import parse_exposition as parse
from grader.checks.request_mix import ObsProbe
from grader.contracts import load_contract
from grader.grading.context import GradeContext, Options
from grader.grading.pipeline import grade_submission
from grader.report.model import Report
from grader.rubric import load_rubric
from grader.sandbox.output import CappedOutput
from grader.stages import STAGE_NAMES
from grader.stages import observability as stage
from tests.grader.patch_fixtures import build_fixture, expected, fixture_names, suites_keeping

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "homework" / "hw3_ci_monitoring" / "solution"
STARTER = ROOT / "homework" / "hw3_ci_monitoring" / "starter"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hw3_submissions"
NAMES = [n for n in fixture_names(FIXTURES) if n.startswith("obs_")]
COMMIT = "0b5e" * 10
WORKERS = 3
KEPT_STAGES = ("install", "observability")
KEPT_CHECKS = ("service.starts",)
STARTER_MAX_POINTS = 0.0  # the starter's /metrics answers 501 and it writes no request lines
CONTRACT = load_contract("hw3")


@pytest.fixture(scope="session")
def obs_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Report]]:
    """Every submission of this module graded once, ``WORKERS`` at a time."""
    base = tmp_path_factory.mktemp("hw3-observability")
    suites = suites_keeping("hw3", base / "suites", stages=KEPT_STAGES, checks=KEPT_CHECKS)
    sources = {"solution": SOLUTION, "starter": STARTER}
    for name in NAMES:
        sources[name] = build_fixture(SOLUTION, FIXTURES / name, base / name)
    seconds: dict[str, float] = {}

    def grade(name: str) -> Report:
        started = time.monotonic()
        options = Options(skip_load=True, suites=suites)
        report = grade_submission("hw3", sources[name], options=options, commit=COMMIT)
        seconds[name] = round(time.monotonic() - started, 1)
        return report

    with ThreadPoolExecutor(WORKERS) as pool:
        reports = dict(zip(sources, pool.map(grade, sources), strict=True))
    stage_seconds = {n: r.stage_seconds.get("observability") for n, r in reports.items()}
    print(f"\nhw3 observability: wall seconds per job {seconds}; stage seconds {stage_seconds}")
    yield reports


def _mine(report: Report) -> dict[str, Any]:
    return {c.id: c for c in report.checks if c.stage == "observability"}


# --- end to end ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("require_full_isolation")
def test_solution_gets_full_marks_on_every_check(obs_reports: dict[str, Report]) -> None:
    mine = _mine(obs_reports["solution"])
    assert set(mine) == set(stage.CHECKS)
    assert {i: c.feedback for i, c in mine.items() if c.status != "passed"} == {}
    assert sum(c.points for c in mine.values()) == pytest.approx(
        sum(c.max_points for c in mine.values())
    )


@pytest.mark.slow
@pytest.mark.usefixtures("require_full_isolation")
def test_starter_scores_low_with_actionable_feedback(obs_reports: dict[str, Report]) -> None:
    report = obs_reports["starter"]
    assert {c.id: c.status for c in report.checks}["service.starts"] == "passed"
    mine = _mine(report)
    assert sum(c.points for c in mine.values()) <= STARTER_MAX_POINTS
    assert all(c.status == "failed" and c.feedback for c in mine.values())
    assert "GET /metrics must answer 200" in mine["metrics.counters"].feedback
    assert "501" in mine["metrics.exposition"].feedback
    assert "one JSON line per finished request" in mine["logs.json"].feedback
    assert "No response carried X-Request-ID" in mine["logs.request_id"].feedback


@pytest.mark.slow
@pytest.mark.usefixtures("require_full_isolation")
@pytest.mark.parametrize("name", NAMES)
def test_fixture_lands_in_its_band(obs_reports: dict[str, Report], name: str) -> None:
    spec = expected(FIXTURES / name)
    mine = _mine(obs_reports[name])
    assert not [i for i, c in mine.items() if c.status == "error"], {
        i: c.feedback for i, c in mine.items()
    }
    for check_id, status in spec.get("status", {}).items():
        assert mine[check_id].status == status, (check_id, mine[check_id].feedback)
    for check_id, (low, high) in spec.get("points", {}).items():
        assert low <= mine[check_id].points <= high, (check_id, mine[check_id].points)
    for check_id, text in spec.get("feedback", {}).items():
        assert text in mine[check_id].feedback, (check_id, mine[check_id].feedback)
    lost = sum(c.max_points - c.points for c in mine.values())
    if "min_lost" in spec:
        assert lost >= spec["min_lost"], {i: c.points for i, c in mine.items()}
    if "max_lost" in spec:
        assert lost <= spec["max_lost"], {i: c.feedback for i, c in mine.items() if c.points < 3}
    for check in mine.values():
        if check.points < check.max_points:
            assert check.feedback, f"{check.id} lost points without a reason"


# --- the stage, the rubric, the contract ----------------------------------------------------------


def test_stage_runs_after_database_with_its_rubric_checks() -> None:
    assert STAGE_NAMES.index("observability") == STAGE_NAMES.index("database") + 1
    rubric = {c.id: c for c in load_rubric("hw3").checks}
    points = {i: rubric[i].points for i in stage.CHECKS}
    assert points == {
        "metrics.exposition": 3,
        "metrics.counters": 6,
        "metrics.histograms": 3,
        "metrics.predictions": 3,
        "metrics.cardinality": 3,
        "logs.json": 3,
        "logs.request_id": 3,
    }
    assert all(rubric[i].lecture.startswith("10_monitoring#") for i in stage.CHECKS)
    heading_slugs = _lecture_slugs(ROOT / "lectures" / "10_monitoring" / "README.md")
    assert {rubric[i].lecture.partition("#")[2] for i in stage.CHECKS} <= heading_slugs


def _lecture_slugs(readme: Path) -> set[str]:
    """The heading anchors of a lecture page (as the site builds them)."""
    return {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", readme.read_text(), re.MULTILINE)
    }


def test_a_raising_check_is_its_own_error_and_the_next_still_records() -> None:
    rubric = load_rubric("hw3")
    ctx = GradeContext(rubric, CONTRACT, Options(), None, None, lambda _: None)  # type: ignore[arg-type]

    def broken(probe: Any) -> Verdict:
        raise KeyError("no such family")

    stage._record(ctx, "metrics.counters", broken, None)  # type: ignore[arg-type]
    stage._record(ctx, "metrics.histograms", lambda probe: Verdict(0.5, "half"), None)  # type: ignore[arg-type]
    assert ctx.results["metrics.counters"].status == "error"
    assert "KeyError" in ctx.results["metrics.counters"].feedback
    assert ctx.results["metrics.histograms"].points == pytest.approx(1.5)


def test_contract_roles_are_read_from_types_and_labels() -> None:
    spec = MetricsSpec.from_contract(CONTRACT)
    section = CONTRACT["observability"]["metrics"]
    names = {f["name"] for f in section["families"]}
    roles = (spec.requests, spec.duration, spec.predictions, spec.probability, spec.model_info)
    assert {f.name for f in roles} <= names and len({f.name for f in roles}) == 5
    assert spec.requests.type == "counter" and spec.status in spec.requests.labels
    assert spec.duration.buckets and spec.probability.buckets
    assert spec.outcome[1:] == tuple(spec.predictions.label_values[spec.outcome[0]])
    assert spec.unmatched_route == section["unmatched_route"]
    logs = LogSpec.from_contract(CONTRACT)
    assert logs.request_message == CONTRACT["observability"]["logs"]["request_line"]["message"]
    assert logs.request_id in logs.fields and logs.status in logs.request_fields


# --- pieces ------------------------------------------------------------------------------------


def _registry(buckets: tuple[float, ...]) -> bytes:
    """A real exposition with the contract's request counter and latency histogram."""
    spec = MetricsSpec.from_contract(CONTRACT)
    registry = CollectorRegistry()
    counter = Counter(spec.requests.parsed_name, "x", spec.requests.labels, registry=registry)
    counter.labels("GET", "/health", "200").inc(3)
    histogram = Histogram(
        spec.duration.name, "x", spec.duration.labels, buckets=buckets, registry=registry
    )
    histogram.labels("GET", "/health").observe(0.02)
    return generate_latest(registry)


def test_exposition_from_prometheus_client_passes_and_wrong_buckets_are_named() -> None:
    spec = MetricsSpec.from_contract(CONTRACT)
    good = parse(_registry(spec.duration.buckets).decode())
    assert not isinstance(good, str)
    assert family_problems(good, spec.requests) == []
    assert family_problems(good, spec.duration) == []
    assert histogram_problems(good, spec.duration) == []
    bad = parse(_registry((0.1, 1.0)).decode())
    assert not isinstance(bad, str)
    assert "buckets" in family_problems(bad, spec.duration)[0]
    assert family_problems(bad, spec.model_info) == [f"{spec.model_info.name} (gauge) is missing"]


def test_unparsable_and_non_cumulative_expositions_get_clear_feedback() -> None:
    spec = MetricsSpec.from_contract(CONTRACT)
    problem = parse('{"detail": "Not Found"}\n')
    assert isinstance(problem, str) and "not in the Prometheus text format" in problem
    name = spec.duration.name
    text = (
        f"# TYPE {name} histogram\n"
        f'{name}_bucket{{method="GET",route="/health",le="0.1"}} 3\n'
        f'{name}_bucket{{method="GET",route="/health",le="+Inf"}} 2\n'
        f'{name}_count{{method="GET",route="/health"}} 2\n'
        f'{name}_sum{{method="GET",route="/health"}} 0.1\n'
    )
    scraped = parse(text)
    assert not isinstance(scraped, str)
    assert "not cumulative" in histogram_problems(scraped, spec.duration)[0]
    counter = f"# TYPE {spec.requests.name} gauge\n{spec.requests.name} 1\n"
    typed = parse(counter)
    assert not isinstance(typed, str)
    assert "exposed as type 'gauge'" in family_problems(typed, spec.requests)[0]


def test_log_fields_are_validated_by_kind() -> None:
    assert field_problem("ts", "2026-12-02T06:00:00.123Z") is None
    assert field_problem("ts", "2026-12-02T06:00:00+00:00") is None
    assert "UTC offset" in (field_problem("ts", "2026-12-02 06:00:00") or "")
    assert "integer" in (field_problem("status", "200") or "")
    assert field_problem("status", 200) is None
    assert "number" in (field_problem("duration_ms", True) or "")
    assert field_problem("duration_ms", 1.5) is None
    assert field_problem("request_id", None) is None


def test_captured_output_since_an_offset_and_after_a_flood() -> None:
    read, write = os.pipe()
    output = CappedOutput(os.fdopen(read, "rb"), cap=1000)
    with os.fdopen(write, "wb", buffering=0) as stream:
        stream.write(b"before\n")
        _wait(lambda: output.position() == 7)
        offset = output.position()
        stream.write(json.dumps({"message": "request finished"}).encode() + b"\n")
        _wait(lambda: output.position() > offset)
        text, kept = output.since(offset)
        assert kept and text == '{"message": "request finished"}\n'
        stream.write(b"x" * 3000 + b"\nlast\n")
        _wait(lambda: output.position() > 3000)
        text, kept = output.since(offset)
        assert not kept and text.endswith("last\n")
        recent = output.position()
        stream.write(b"new\n")
        _wait(lambda: output.position() > recent)
        assert output.since(recent) == ("new\n", True)
    output.join()


def _wait(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the drain thread did not keep up"
        time.sleep(0.01)


class _MetricsHandler(BaseHTTPRequestHandler):
    """/metrics as a hostile service might answer it: one floods, the other trickles."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        if self.server.mode == "big":  # type: ignore[attr-defined]
            self.wfile.write(b"# HELP x y\n" * 1000)
            return
        try:
            for _ in range(50):
                self.wfile.write(b"#")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("mode", "feedback"), [("big", "more than 2000 bytes"), ("slow", "did not finish its answer")]
)
def test_a_flooding_or_trickling_metrics_answer_is_cut_short(mode: str, feedback: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetricsHandler)
    server.mode = mode  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = {"max_scrape_bytes": 2000, "request_timeout_s": 0.5}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=2) as client:
            probe = ObsProbe(client, CONTRACT, {"valid_customers": []}, settings)
            started = time.monotonic()
            problem = scrape(probe, MetricsSpec.from_contract(CONTRACT))
        assert isinstance(problem, str) and feedback in problem
        assert time.monotonic() - started < 2
    finally:
        server.shutdown()
        server.server_close()
