"""The calibration services: which one a homework's stress test uses, and the instrumented one.

hw3's stress test compares a submission with the calibration service carrying hw3's
instrumentation (``grader/calibration/instrumented.py``). It is started here exactly as the load
stage starts it (:func:`grader.load.calibration.running_calibration`: the same sandbox, network
arrangement and output capture) and judged with the grader's own contract readers and parser.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from grader.checks.holdout import load_holdout
from grader.checks.logs import LogSpec, field_problem
from grader.checks.metrics import MetricsSpec, Scrape, family_problems, parse_exposition
from grader.contracts import load_contract
from grader.errors import UsageError
from grader.grading.context import GradeContext, Options
from grader.load import calibration
from grader.load.calibration import (
    VARIANTS,
    cache_file,
    calibration_variant,
    measure_calibration,
    running_calibration,
)
from grader.load.run import Measurement, Schedule, Step, Window
from grader.paths import DEFAULT_SUITES_DIR
from grader.rubric import load_rubric
from grader.sandbox import detect_isolation
from grader.service import Service
from grader.stages import load as load_stage
from grader.submission import Commands

CONTRACT = load_contract("hw3")
CUSTOMERS = [row["customer"] for row in load_holdout(DEFAULT_SUITES_DIR)[:20]]
HEADER = "X-Request-ID"


@pytest.fixture(scope="module")
def instrumented() -> Iterator[Service]:
    """The instrumented calibration service, started the way the load stage starts it."""
    with running_calibration(detect_isolation(), "instrumented") as service:
        yield service


def request(service: Service, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request from where the service's loopback is reachable."""
    url = service.base_url + path
    return service.call(lambda: httpx.request(method, url, timeout=10.0, **kwargs))


def scrape(service: Service) -> Scrape:
    response = request(service, "GET", CONTRACT["observability"]["metrics"]["path"])
    assert response.status_code == 200
    parsed = parse_exposition(response.text, response.headers.get("content-type", ""))
    assert isinstance(parsed, Scrape), parsed
    return parsed


def delta(before: Scrape, after: Scrape, sample: str, labels: tuple[str, ...]) -> Counter:
    """How much ``sample`` moved between two scrapes, summed by ``labels``."""
    moved: Counter = Counter()
    old = before.projected(sample, labels)
    for key, value in after.projected(sample, labels).items():
        if value != old.get(key, 0.0):
            moved[key] = value - old.get(key, 0.0)
    return moved


def test_the_instrumented_calibration_serves_the_contract_metrics_and_logs_each_request(
    instrumented: Service,
) -> None:
    spec, logs = MetricsSpec.from_contract(CONTRACT), LogSpec.from_contract(CONTRACT)
    invalid = {**CUSTOMERS[0], "tenure": -1}
    # (method, path, body, request id sent, route label, expected status)
    plan = [
        *[
            ("POST", "/predict", c, f"calib-{i}", "/predict", 200)
            for i, c in enumerate(CUSTOMERS[:3])
        ],
        (
            "POST",
            "/predict/batch",
            {"customers": CUSTOMERS[3:7]},
            "calib-batch",
            "/predict/batch",
            200,
        ),
        ("POST", "/predict", invalid, "calib-invalid", "/predict", 422),
        ("GET", "/predict", None, None, "/predict", 405),
        ("GET", "/no/such/path", None, None, spec.unmatched_route, 404),
        ("GET", "/health", None, "", "/health", 200),
    ]
    offset = instrumented.process.output.position()
    before = scrape(instrumented)
    answers = []
    for method, path, body, rid, _, status in plan:
        headers = {HEADER: rid} if rid is not None else {}
        answer = request(instrumented, method, path, json=body, headers=headers)
        assert answer.status_code == status, (method, path, answer.text[:200])
        if rid:
            assert answer.headers[HEADER] == rid
        else:
            assert re.fullmatch(r"[0-9a-f]{32}", answer.headers[HEADER])
        answers.append(answer)
    after = scrape(instrumented)

    for family in spec.families:  # names, types, label sets and buckets of the contract
        assert family_problems(after, family) == [], family.name
    sent = Counter((m, route, str(status)) for m, _, _, _, route, status in plan)
    labels = (spec.method, spec.route, spec.status)
    assert delta(before, after, spec.requests.name, labels) == sent  # the scrapes not counted
    timed = Counter((m, route) for m, _, _, _, route, _ in plan)
    assert delta(before, after, f"{spec.duration.name}_count", labels[:2]) == timed
    scored = [p for a in answers[:4] for p in a.json().get("predictions", [a.json()])]
    flagged = sum(p["churn"] for p in scored)
    outcome, churn, no_churn = spec.outcome
    assert delta(before, after, spec.predictions.name, (outcome,)) == Counter(
        {k: v for k, v in {(churn,): flagged, (no_churn,): len(scored) - flagged}.items() if v}
    )
    assert delta(before, after, f"{spec.probability.name}_count", ()) == {(): len(scored)}
    assert after.projected(spec.model_info.name, ("version",)) == {("calibration-1",): 1.0}

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text, kept = instrumented.process.output.since(offset)
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) >= len(plan):
            break
        time.sleep(0.05)
    time.sleep(0.2)  # a line too many (a scrape logged) would arrive now
    text, kept = instrumented.process.output.since(offset)
    assert kept
    documents = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(documents) == len(plan)  # one per request, none for the scrapes
    for document in documents:
        for name in (*logs.fields, *logs.request_fields):
            assert field_problem(name, document.get(name)) is None, (name, document)
        assert document["message"] == logs.request_message
    assert Counter((d[logs.method], d[logs.route], str(d[logs.status])) for d in documents) == sent
    assert [d[logs.request_id] for d in documents] == [a.headers[HEADER] for a in answers]


@pytest.mark.parametrize(
    ("homework", "variant"), [("hw1", "plain"), ("hw2", "plain"), ("hw3", "instrumented")]
)
def test_each_homework_names_its_calibration_service_in_its_rubric(
    homework: str, variant: str
) -> None:
    assert calibration_variant(load_rubric(homework).settings("load")) == variant


def test_an_unknown_calibration_variant_is_a_clear_error(tmp_path) -> None:
    suites = tmp_path / "suites"
    shutil.copytree(DEFAULT_SUITES_DIR, suites)
    rubric = suites / "hw3" / "rubric.toml"
    text = rubric.read_text()
    assert 'calibration = "instrumented"' in text
    rubric.write_text(text.replace('calibration = "instrumented"', 'calibration = "fancy"'))
    with pytest.raises(UsageError, match=r"calibration = 'fancy'.*known: plain, instrumented"):
        calibration_variant(load_rubric("hw3", suites).settings("load"))
    schedule = load_stage.schedule_from(load_rubric("hw1"), 1.0)
    with pytest.raises(UsageError, match="fancy"):
        measure_calibration(detect_isolation(), schedule, CUSTOMERS, variant="fancy")


def fake_measurement(rps: float) -> Measurement:
    """A calibration figure no real run produces (its capacity tells which cache it came from)."""
    return Measurement([Window([Step(1, 100, 0, rps, 10.0, 20.0, qualifies=True)])])


def seed_cache(schedule: Schedule, variant: str, rps: float) -> None:
    path = cache_file(schedule, variant)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fake_measurement(rps).as_dict()))


def test_each_variant_has_its_own_cached_calibration(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibration, "_CACHE", {})
    schedule = load_stage.schedule_from(load_rubric("hw3"), 2.5)
    assert len({cache_file(schedule, v) for v in VARIANTS}) == len(VARIANTS)
    assert cache_file(schedule) == cache_file(schedule, "plain")
    seed_cache(schedule, "plain", 11.0)
    seed_cache(schedule, "instrumented", 7.0)
    isolation = detect_isolation()
    for variant, rps in (("instrumented", 7.0), ("plain", 11.0)):
        measured = measure_calibration(
            isolation, schedule, CUSTOMERS, reuse_cached=True, variant=variant
        )
        assert measured.capacity == rps


def test_the_load_stage_compares_with_the_variant_its_rubric_names(
    instrumented: Service, tmp_path, monkeypatch
) -> None:
    """hw3's stage reads the instrumented calibration (seeded in the self-check's cache; a
    plain one is not there and would be measured instead) and says which one it compared with."""
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibration, "_CACHE", {})
    rubric = load_rubric("hw3")
    options = Options(mode="check", load_seconds=2.5)
    schedule = load_stage.schedule_from(rubric, options.load_seconds)
    seed_cache(schedule, "instrumented", 4.0)
    ctx = GradeContext(
        rubric,
        CONTRACT,
        options,
        SimpleNamespace(isolation=detect_isolation()),  # type: ignore[arg-type]  # only read for the calibration
        Commands(serve=None, train=None),
        lambda _: None,
    )
    ctx.installed, ctx.service = True, instrumented  # the job's service: already running
    load_stage.run(ctx)
    assert ctx.load is not None, ctx.results
    assert ctx.load["calibration_variant"] == "instrumented"
    assert ctx.load["calibration"]["capacity_rps"] == 4.0
    assert (
        "vs the instrumented calibration service's 4.0 RPS" in ctx.results["load.capacity"].feedback
    )
