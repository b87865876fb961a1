"""End to end: the hw3 ``monitoring`` stage with the real promtool and a real Prometheus, on the hw3
solution, the starter and hostile fixtures (``fixtures/hw3_submissions/mon_*``: patched copies of
the solution, see ``tests/grader/patch_fixtures.py``).

Every submission is graded once per session, three at a time, keeping only the checks it is about:
the solution and the starter get every monitoring check (with ``install.environment`` and
``service.starts``: the live checks need the service); a fixture gets the checks its
``expected.toml`` names in ``[status]``, and the service only when one of them needs it. Its
``min_lost``/``max_lost`` count over those checks. Also unit tests of the stage's parts that need
no service: the PromQL name reader, the hidden tests' rendering, the hardened ``fast_config``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from grader.checks import prometheus as checks
from grader.checks.dashboard import layout_problems
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.monitoring import grafana
from grader.monitoring import prometheus as harness
from grader.monitoring.promql import metric_names
from grader.paths import suites_dir
from grader.report.model import Report
from grader.stages import STAGE_NAMES
from grader.stages.monitoring import CHECKS, LIVE
from tests.grader.patch_fixtures import build_fixture, expected, fixture_names, suites_keeping

ROOT = Path(__file__).resolve().parents[2]
HW3 = ROOT / "homework" / "hw3_ci_monitoring"
SOLUTION, STARTER = HW3 / "solution", HW3 / "starter"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hw3_submissions"
NAMES = [n for n in fixture_names(FIXTURES) if n.startswith("mon_")] if FIXTURES.is_dir() else []
COMMIT = "5eed" * 10
WORKERS = 3
SERVICE_CHECKS = ("install.environment", "service.starts")
CONTRACT = json.loads((ROOT / "grader" / "contracts" / "hw3.json").read_text())["observability"]


@pytest.fixture(scope="session")
def tools() -> None:
    """promtool and prometheus (Debian package ``prometheus``; ``.ci/run`` installs it)."""
    for name in ("promtool", "prometheus"):
        if shutil.which(name) is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{name} is not installed (Debian package prometheus)")
            pytest.skip(f"{name} is not installed (Debian package prometheus)")


def _checks_of(name: str) -> list[str]:
    named = list(expected(FIXTURES / name).get("status", {}))
    return [*named, *(SERVICE_CHECKS if set(named) & set(LIVE) else ())]


@pytest.fixture(scope="session")
def hw3_monitoring_reports(
    tools: None, require_full_isolation: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Report]]:
    """Every submission of this module graded once, ``WORKERS`` at a time."""
    base = tmp_path_factory.mktemp("hw3-monitoring")
    everything = suites_keeping("hw3", base / "suites-all", checks=[*CHECKS, *SERVICE_CHECKS])
    jobs: dict[str, tuple[Path, Path]] = {"solution": (SOLUTION, everything)}
    jobs["starter"] = (STARTER, everything)
    for name in NAMES:
        suites = suites_keeping("hw3", base / f"suites-{name}", checks=_checks_of(name))
        jobs[name] = (build_fixture(SOLUTION, FIXTURES / name, base / name), suites)
    seconds: dict[str, float] = {}

    def grade(name: str) -> Report:
        started = time.monotonic()
        path, suites = jobs[name]
        options = Options(skip_load=True, suites=suites)
        report = grade_submission("hw3", path, options=options, commit=COMMIT)
        seconds[name] = round(time.monotonic() - started, 1)
        return report

    def offline(name: str) -> bool:
        return name not in ("solution", "starter") and not set(_checks_of(name)) & set(LIVE)

    live_first = sorted(jobs, key=offline)  # the longest first
    with ThreadPoolExecutor(WORKERS) as pool:
        reports = dict(zip(live_first, pool.map(grade, live_first), strict=True))
    print(f"\nhw3 monitoring grading wall seconds per job: {seconds}")
    print(f"monitoring stage seconds of the solution: {reports['solution'].stage_seconds}")
    yield reports


@pytest.mark.slow
def test_the_stage_runs_right_after_load() -> None:
    assert STAGE_NAMES[STAGE_NAMES.index("load") + 1] == "monitoring"


@pytest.mark.slow
def test_solution_scores_full_marks_with_prometheus_executed(
    hw3_monitoring_reports: dict[str, Report],
) -> None:
    report = hw3_monitoring_reports["solution"]
    results = {c.id: c for c in report.checks}
    assert set(CHECKS) <= set(results)
    not_passed = {i: results[i].feedback for i in CHECKS if results[i].status != "passed"}
    assert not_passed == {}
    assert all(results[i].points == results[i].max_points for i in CHECKS)
    assert "pending" in results["prometheus.service_down"].feedback  # the alert was seen, live
    assert "rule(s) evaluate on Prometheus" in results["prometheus.rules_evaluate"].feedback
    assert report.stage_seconds["monitoring"] < 60


@pytest.mark.slow
def test_starter_scores_low_with_actionable_feedback(
    hw3_monitoring_reports: dict[str, Report],
) -> None:
    report = hw3_monitoring_reports["starter"]
    mine = [c for c in report.checks if c.id in CHECKS]
    assert sum(c.points for c in mine) <= 0.25 * sum(c.max_points for c in mine)
    feedback = {c.id: c.feedback for c in mine}
    assert "/metrics" in feedback["prometheus.target_up"]
    assert "no alerting rule of that name" in feedback["prometheus.hidden_rule_tests"]
    assert "ServiceDown" in feedback["prometheus.rule_tests"]
    assert "monitoring/grafana/dashboards" in feedback["dashboard.layout"]
    for check in mine:
        if check.points < check.max_points:
            assert check.feedback.strip(), check.id


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_hostile_fixture_lands_in_its_band(
    hw3_monitoring_reports: dict[str, Report], name: str
) -> None:
    report = hw3_monitoring_reports[name]
    spec = expected(FIXTURES / name)
    results = {c.id: c for c in report.checks}
    errors = [(c.id, c.feedback) for c in report.checks if c.status == "error"]
    assert not errors
    for check_id, status in spec.get("status", {}).items():
        assert results[check_id].status == status, (check_id, results[check_id].feedback)
    for check_id, text in spec.get("feedback", {}).items():
        assert text in results[check_id].feedback, (check_id, results[check_id].feedback)
    lost = report.max_points - report.points
    assert spec.get("min_lost", 0) <= lost <= spec.get("max_lost", 100), [
        (c.id, c.points, c.feedback) for c in report.checks
    ]
    for check in report.checks:
        if check.points < check.max_points:
            assert check.feedback, f"{check.id} lost points without a reason"
        assert "root:" not in check.feedback  # nothing of /etc/shadow or /etc/passwd leaks


# --------------------------------------------------------------------------- parts, no service
def test_metric_names_sets_keywords_matchers_and_absent_apart() -> None:
    names = metric_names(
        'sum by (le) (rate(http_request_duration_seconds_bucket{route="/predict"}[5m] offset 1h))'
        ' / ignoring(le) group_left sum(x_total) > bool 1e3 or absent(up{job="churn-api"})'
        ' or {__name__="y_total"} or label_replace(z, "a", "$1", "b", "(.*)")'
    )
    assert names.selected == {"http_request_duration_seconds_bucket", "x_total", "y_total", "z"}
    assert names.absent == {"up"}
    assert metric_names("vector(0) > 1").selected == set()


def test_fast_config_keeps_the_job_and_drops_what_reads_files_or_other_hosts() -> None:
    config = {
        "global": {"scrape_interval": "15s"},
        "rule_files": ["/etc/shadow"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["am:9093"]}]}]},
        "scrape_configs": [
            {
                "job_name": "churn-api",
                "metrics_path": "/metrics",
                "scheme": "https",
                "basic_auth": {"username": "a", "password_file": "/etc/shadow"},
                "tls_config": {"ca_file": "/etc/ssl/private/key.pem"},
                "file_sd_configs": [{"files": ["/etc/*.json"]}],
                "static_configs": [{"targets": ["api:8000"], "labels": {"team": "ml"}}],
            },
            {"job_name": "other", "static_configs": [{"targets": ["x:1"]}]},
        ],
    }
    fast = yaml.safe_load(harness.fast_config(config, "churn-api", "127.0.0.1:18000", []))
    (job,) = fast["scrape_configs"]
    assert job == {
        "job_name": "churn-api",
        "metrics_path": "/metrics",
        "static_configs": [{"targets": ["127.0.0.1:18000"], "labels": {"team": "ml"}}],
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
    }
    assert fast["rule_files"] == [] and "alerting" not in fast
    assert harness.dropped_job_keys(config, "churn-api") == [
        "basic_auth", "file_sd_configs", "tls_config"
    ]  # fmt: skip
    with pytest.raises(KeyError):
        harness.fast_config(config, "missing", "127.0.0.1:1", [])


def test_durations() -> None:
    assert harness.parse_duration("1h30m") == 5400
    assert harness.parse_duration("0") == 0
    with pytest.raises(ValueError):
        harness.parse_duration("5 minutes")


def test_hidden_tests_cover_every_contract_alert_with_firing_and_quiet_scenarios(
    tmp_path: Path,
) -> None:
    suite = suites_dir(None) / "hw3" / "rule_tests"
    alerts = [a["name"] for a in CONTRACT["alerts"]]
    scenarios, unavailable = checks.hidden_scenarios(suite, alerts, [tmp_path / "r.yml"], 0.215608)
    assert unavailable == {}
    for alert in alerts:
        names = [s.name for s in scenarios if s.alert == alert]
        assert any(n.startswith("fires: ") for n in names), alert
        assert any(n.startswith("stays quiet: ") for n in names), alert
    for scenario in scenarios:
        assert "<<" not in scenario.text, scenario.name
        document = yaml.safe_load(scenario.text)
        assert document["rule_files"] == [str(tmp_path / "r.yml")]
    # The model-level scenarios follow the submission's train_flag_rate.
    assert checks.share_placeholders(0.215608) == {
        "churn_far": "47", "rest_far": "53", "churn_near_above": "30",
        "rest_near_above": "70", "churn_near_below": "14", "rest_near_below": "86",
    }  # fmt: skip
    assert checks.share_placeholders(0.9)["churn_far"] == "65"
    _, unavailable = checks.hidden_scenarios(suite, alerts, [tmp_path / "r.yml"], None)
    assert list(unavailable) == ["FlaggedShareDrift"]


def test_hidden_tests_run_with_promtool_against_the_solution_and_a_broken_alert(
    tools: None, tmp_path: Path
) -> None:
    """Without the sandbox: the solution's rules pass every scenario; `vector(1)` fails the quiet
    ones (the discrimination the check relies on)."""
    promtool = shutil.which("promtool")
    assert promtool
    suite = suites_dir(None) / "hw3" / "rule_tests"
    rules = yaml.safe_load((SOLUTION / "monitoring" / "rules.yml").read_text())
    broken = json.loads(json.dumps(rules))
    for rule in broken["groups"][0]["rules"]:
        if rule["alert"] == "High5xxRatio":
            rule["expr"] = "vector(1)"
    outcomes: dict[str, dict[str, bool]] = {}
    for label, document in (("solution", rules), ("broken", broken)):
        path = tmp_path / f"{label}.yml"
        path.write_text(yaml.safe_dump(document))
        scenarios, _ = checks.hidden_scenarios(suite, ["High5xxRatio"], [path], 0.215608)
        for number, scenario in enumerate(scenarios):
            test = tmp_path / f"{label}-{number}.yml"
            test.write_text(scenario.text)
            result = harness.test_rules(promtool, test)
            outcomes.setdefault(label, {})[scenario.name] = result.returncode == 0
    assert all(outcomes["solution"].values()), outcomes["solution"]
    assert outcomes["broken"] == {n: n.startswith("fires: ") for n in outcomes["broken"]}


def test_layout_rule_and_hostile_dashboards() -> None:
    path = SOLUTION / "monitoring" / "grafana" / "dashboards" / "churn-service.json"
    dashboard = json.loads(path.read_text())
    assert layout_problems(dashboard) == []
    swapped = json.loads(path.read_text())
    panels = [p for p in swapped["panels"] if p["type"] != "row"]
    panels[0]["gridPos"]["y"], panels[-1]["gridPos"]["y"] = panels[-1]["gridPos"]["y"], 0
    problems = layout_problems(swapped)
    assert problems == [
        "the top row has no request-rate panel (a query on http_requests_total)",
        'the top row has no error panel (http_requests_total with status=~"5..")',
        "the top row has no duration panel (a query on http_request_duration_seconds_*)",
        "model panel 'Model version' is on the top row",
    ]
    hostile: dict = {"panels": [1, "x", {"targets": "no", "panels": {"a": 1}}, {"targets": [3]}]}
    hostile["templating"] = ["not", "a", "mapping"]
    assert grafana.dashboard_queries(hostile) == []
    assert layout_problems(hostile) == ["no panels with a gridPos"]
