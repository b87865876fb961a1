"""The solution's monitoring/ with the real tools: promtool, and a real Prometheus that scrapes the
running solution (grader/monitoring, the harness the grader and lecture 10 use).

* ``promtool check config``/``check rules`` and every ``promtool test rules`` file pass; every alert
  of the contract is in rules.yml with its severity, a ``for`` and a summary, and has a firing
  and a quiet unit-test case;
* a real Prometheus (1 s scrape and evaluation intervals) scrapes the solution, which has served a
  known mix of requests: the target is up, every rule expression and every dashboard query (after
  Grafana's variables are substituted) evaluates without error and names only exposed metrics,
  and once the service is stopped ServiceDown becomes pending;
* the dashboard puts rate, errors and duration on top and model signals below; the Compose file
  is valid, pinned and binds to 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.monitoring import grafana
from grader.monitoring import prometheus as prom
from tests.homework.hw2._hw2 import Postgres
from tests.homework.hw3 import _hw3

MONITORING = _hw3.SOLUTION / "monitoring"
CONTRACT = _hw3.CONTRACT["observability"]
JOB = CONTRACT["prometheus"]["job_name"]
RULES = yaml.safe_load((MONITORING / "rules.yml").read_text())
ALERTS = {r["alert"]: r for g in RULES["groups"] for r in g["rules"] if "alert" in r}
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))
RULE_TESTS = sorted((MONITORING / "tests").glob("*.yml"))
# PromQL words that are not metric names.
PROMQL_WORDS = {
    "sum", "rate", "increase", "histogram_quantile", "abs", "max", "min", "avg", "count",
    "absent", "vector", "by", "without", "on", "ignoring", "group_left", "group_right", "and",
    "or", "unless", "le", "offset", "bool", "inf", "nan", "clamp_min", "clamp_max",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (labels, functions and keywords left out)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    tokens = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()", bare))
    return {t for t in tokens if t not in PROMQL_WORDS and not re.fullmatch(r"\d.*|e\d+", t)}


@pytest.fixture(scope="module")
def promtool(require_tool: Callable[[str], str]) -> str:
    return require_tool("promtool")  # Debian package "prometheus"; .ci/run installs it


def test_promtool_checks_config_and_rules(promtool: str) -> None:
    for result in (
        prom.check_config(promtool, MONITORING / "prometheus.yml"),
        prom.check_rules(promtool, MONITORING / "rules.yml"),
    ):
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("tests", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_rule_unit_tests_pass(promtool: str, tests: Path) -> None:
    result = prom.test_rules(promtool, tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_contract_alert_is_defined_with_for_severity_and_summary() -> None:
    expected = {a["name"]: a["severity"] for a in CONTRACT["alerts"]}
    assert {name: rule["labels"]["severity"] for name, rule in ALERTS.items()} == expected
    for name, rule in ALERTS.items():
        assert re.fullmatch(r"\d+[smh]", rule["for"]), name
        assert rule["annotations"]["summary"].strip(), name
        assert f'job="{JOB}"' in rule["expr"], f"{name} must select the {JOB} job"
    assert "0.215608" in ALERTS["FlaggedShareDrift"]["expr"]  # train_flag_rate, not label rate


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else quiet).add(case["alertname"])
    assert firing == set(ALERTS) and quiet == set(ALERTS)


def test_dashboard_layout_and_substitutions() -> None:
    (path,) = DASHBOARDS
    dashboard = json.loads(path.read_text())
    rows = [p for p in dashboard["panels"] if p["type"] == "row"]
    assert [r["title"].split(":")[0] for r in rows] == ["Service", "Model"]
    model_row_y = rows[1]["gridPos"]["y"]
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        exprs = " ".join(t["expr"] for t in panel["targets"])
        is_model = "prediction" in exprs or "model_info" in exprs
        assert (panel["gridPos"]["y"] > model_row_y) == is_model, panel["title"]
    queries = grafana.dashboard_queries(dashboard)
    assert len(queries) >= 10
    for query in queries:
        assert "$" not in query.promql, query
    used = set().union(*(metric_names(q.promql) for q in queries))
    assert {"http_requests_total", "http_request_duration_seconds_bucket"} <= used
    assert {"predictions_total", "prediction_probability_bucket", "model_info"} <= used


def test_grafana_substitution_rules() -> None:
    dashboard = {"templating": {"list": [{"name": "job", "current": {"value": "churn-api"}}]}}
    assert (
        grafana.substitute('rate(x{job="$job"}[$__rate_interval]) / ${job:raw}', {"job": "a"})
        == 'rate(x{job="a"}[1m]) / a'
    )
    assert grafana.variable_defaults(dashboard) == {"job": "churn-api"}


def test_compose_runs_the_stack_pinned_and_local() -> None:
    compose_path = _hw3.SOLUTION / "docker-compose.yml"
    services = yaml.safe_load(compose_path.read_text())["services"]
    assert {"db", "api", "prometheus", "grafana"} <= set(services)
    for name, service in services.items():
        repository, _, tag = service["image"].rpartition(":")
        assert repository and re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-\w+)?", tag), service["image"]
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (_hw3.SOLUTION / source).exists(), source
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(compose_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- a real Prometheus
CUSTOMER = {
    "female": 1, "senior_citizen": 0, "partner": 1, "dependents": 0, "tenure": 1,
    "phone_service": 0, "multiple_lines": "No phone service", "internet_service": "DSL",
    "online_security": "No", "online_backup": "Yes", "device_protection": "No",
    "tech_support": "No", "streaming_tv": "No", "streaming_movies": "No",
    "contract": "Month-to-month", "paperless_billing": 1, "payment_method": "Electronic check",
    "monthly_charges": 29.85, "total_charges": 29.85,
}  # fmt: skip


@pytest.fixture(scope="module")
def scraped(
    require_tool: Callable[[str], str], postgres: Postgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[prom.PrometheusServer, _hw3.Service]]:
    """The solution, after a known mix of requests, scraped every second by a real Prometheus."""
    binary = require_tool("prometheus")
    workdir = tmp_path_factory.mktemp("prometheus")
    rules = workdir / "rules.yml"
    rules.write_text(prom.rules_without_intervals(RULES))
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    with _hw3.served(_hw3.SOLUTION, postgres.create_database()) as service:
        body = json.dumps(CUSTOMER).encode()
        for _ in range(5):
            assert _hw3.request(service.url, "POST", "/predict", body)[0] == 200
        assert _hw3.request(service.url, "POST", "/predict", b"{}")[0] == 422
        batch = json.dumps({"customers": [CUSTOMER] * 3}).encode()
        assert _hw3.request(service.url, "POST", "/predict/batch", batch)[0] == 200
        assert _hw3.request(service.url, "GET", "/no-such-page")[0] == 404
        target = service.url.removeprefix("http://")
        text = prom.fast_config(config, JOB, target, [rules])
        with prom.PrometheusServer(binary, text, workdir) as server:
            server.wait_for(lambda: server.query(f'up{{job="{JOB}"}} == 1'), timeout=30)
            yield server, service


def test_the_target_is_up_and_counters_arrive(scraped: tuple[Any, Any]) -> None:
    server, _ = scraped
    (target,) = server.targets()
    assert target["health"] == "up", target["lastError"]
    served = server.wait_for(
        lambda: server.query('sum(http_requests_total{route="/predict", status="200"}) == 5')
    )
    assert float(served[0]["value"][1]) == 5
    assert float(server.query("sum(predictions_total)")[0]["value"][1]) == 8


def test_every_rule_and_panel_query_evaluates_and_names_exposed_metrics(
    scraped: tuple[Any, Any],
) -> None:
    server, _ = scraped
    exposed = server.wait_for(
        lambda: (names := server.series_names()) >= {"predictions_total", "model_info"} and names
    )
    exprs = {f"alert {name}": rule["expr"] for name, rule in ALERTS.items()}
    for path in DASHBOARDS:
        for query in grafana.dashboard_queries(json.loads(path.read_text())):
            exprs[f"panel {query.panel!r} {query.ref_id}"] = query.promql
    problems = []
    for where, expr in exprs.items():
        try:
            server.query(expr)
        except prom.PrometheusQueryError as exc:
            problems.append(f"{where}: {exc}")
        missing = metric_names(expr) - exposed
        if missing:
            problems.append(f"{where}: names {sorted(missing)}, not exposed")
    assert not problems, "\n".join(problems)
    rules = server.wait_for(lambda: [r for r in server.rules() if r.get("lastEvaluation")])
    assert all(r["health"] == "ok" for r in rules), rules


def test_service_down_is_pending_once_the_service_stops(scraped: tuple[Any, Any]) -> None:
    server, service = scraped
    service.stop()

    def service_down() -> list[dict[str, Any]]:
        return [a for a in server.alerts() if a["labels"]["alertname"] == "ServiceDown"]

    (alert,) = server.wait_for(service_down, timeout=30)
    assert alert["state"] in {"pending", "firing"}
    assert alert["labels"]["severity"] == "critical"
