"""Tests for lecture 10 (monitoring): the instrumented service, the drift report and the configs."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
MONITORING = EXAMPLES / "monitoring"
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 100}, document-start: disable}}"


def load(name: str) -> ModuleType:
    """Import an example by path (the repo runs pytest with --import-mode=importlib)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"lecture10_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def service() -> ModuleType:
    return load("instrumented_service")


@pytest.fixture(scope="module")
def report(service: ModuleType):
    return service.run_demo(n_valid=40, n_invalid=3)


@pytest.fixture(scope="module")
def drift() -> ModuleType:
    return load("drift_monitoring")


@pytest.fixture(scope="module")
def drift_reports(drift: ModuleType):
    return drift.analyse()


# ------------------------------------------------------------------ the instrumented service
def test_client_saw_expected_statuses(report) -> None:
    assert report.auc > 0.8
    assert report.status_counts == {200: 41, 422: 3, 404: 1}


def test_counters_moved_by_exactly_the_traffic_sent(report) -> None:
    d = report.deltas
    assert d["predict_200"] == 40
    assert d["predict_422"] == 3
    assert d["health_200"] == 1
    assert d["unmatched_404"] == 1
    assert d["predictions_churn"] + d["predictions_stay"] == 40
    assert 0 < d["predictions_churn"] < 40
    assert d["model_info"] == 1
    assert d["in_flight_after"] == 0


def test_histograms_moved(report) -> None:
    d = report.deltas
    assert d["latency_count_predict"] == 43  # every /predict request, valid or not
    assert d["latency_sum_predict"] > 0
    assert d["score_count"] == 40
    assert 0 < report.p50_seconds <= report.p95_seconds < 2.5


def test_route_label_uses_template_not_raw_path(report) -> None:
    assert 'route="unmatched"' in report.metrics_text
    assert "12345" not in report.metrics_text


def test_json_logs_carry_request_ids(report) -> None:
    assert report.echoed_request_ids == [f"demo-{i:04d}" for i in range(40)]
    finished = [line for line in report.log_lines if line["message"] == "request finished"]
    assert len(finished) == 45
    by_id = {line["request_id"]: line for line in finished}
    assert by_id["demo-0003"]["status"] == 200
    assert by_id["demo-0003"]["route"] == "/predict"
    assert by_id["bad-0000"]["status"] == 422
    predictions = [line for line in report.log_lines if line["message"] == "prediction"]
    assert len(predictions) == 40
    assert all(0 <= line["churn_probability"] <= 1 for line in predictions)
    assert {line["request_id"] for line in predictions} == {f"demo-{i:04d}" for i in range(40)}


def test_parse_exposition_and_delta(service: ModuleType) -> None:
    before = service.parse_exposition(
        '# TYPE x_total counter\nx_total{route="/a",status="200"} 3\n'
        'x_total{route="/a",status="500"} 1\n'
    )
    after = service.parse_exposition(
        '# TYPE x_total counter\nx_total{route="/a",status="200"} 10\n'
        'x_total{route="/a",status="500"} 2\n'
    )
    assert service.delta(before, after, "x_total", route="/a") == 8
    assert service.delta(before, after, "x_total", status="500") == 1


def test_histogram_quantile_matches_promql_interpolation(service: ModuleType) -> None:
    buckets = [(0.1, 50.0), (0.5, 90.0), (1.0, 100.0), (math.inf, 100.0)]
    assert service.histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert service.histogram_quantile(0.75, buckets) == pytest.approx(0.35)
    assert service.histogram_quantile(0.9, buckets) == pytest.approx(0.5)
    # rank in the +Inf bucket: PromQL returns the largest finite bound
    assert service.histogram_quantile(0.99, [(0.1, 10.0), (math.inf, 20.0)]) == 0.1
    assert math.isnan(service.histogram_quantile(0.5, []))


def test_printed_report(service: ModuleType, report, capsys: pytest.CaptureFixture[str]) -> None:
    service.print_report(report)
    out = capsys.readouterr().out
    assert re.search(r"predict_200\s+40\.0000", out)
    assert "churn_api_requests_total{" in out
    assert '"request_id": "demo-0000"' in out
    assert "4xx share on /predict: 7.0%" in out


# ------------------------------------------------------------------ drift
def test_psi_is_zero_for_identical_samples_and_grows_with_shift(drift: ModuleType) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=5000)
    assert drift.psi(x, x) == pytest.approx(0.0, abs=1e-12)
    small = drift.psi(x, x + 0.1)
    large = drift.psi(x, x + 1.0)
    assert 0 < small < drift.PSI_MODERATE < drift.PSI_MAJOR < large
    assert drift.psi(["a"] * 50 + ["b"] * 50, ["a"] * 90 + ["b"] * 10, categorical=True) > 0.25


def test_ks_statistic_matches_scipy(drift: ModuleType) -> None:
    stats = pytest.importorskip("scipy.stats")
    import numpy as np

    rng = np.random.default_rng(1)
    a = rng.normal(size=700)
    b = rng.normal(0.2, 1.0, size=500)
    d, p = drift.ks_2sample(a, b)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic, abs=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=0.1)


def test_week1_is_stable(drift_reports) -> None:
    _, reports = drift_reports
    week1 = reports["week1"]
    assert week1.max_feature_psi < 0.1
    assert week1.score_psi < 0.1
    assert week1.roc_auc > 0.8
    assert all(f.ks_p > 0.05 for f in week1.features if f.ks_p is not None)


def test_week2_data_drift_is_detected_on_inputs_and_scores(drift_reports) -> None:
    _, reports = drift_reports
    week2 = reports["week2"]
    assert week2.drift("tenure").psi > 0.25
    assert week2.drift("tenure").ks_p < 1e-6
    assert week2.drift("contract").psi > 0.1
    assert week2.drift("internet_service").psi < 0.1  # untouched feature stays stable
    assert week2.score_psi > 0.1
    assert week2.mean_score > reports["week1"].mean_score + 0.05


def test_week3_concept_drift_is_invisible_on_inputs(drift_reports) -> None:
    _, reports = drift_reports
    week1, week3 = reports["week1"], reports["week3"]
    assert week3.max_feature_psi < 0.1
    assert week3.score_psi < 0.1
    assert week3.roc_auc < week1.roc_auc - 0.05


# ------------------------------------------------------------------ config files
def yaml_file(name: str) -> dict:
    return yaml.safe_load((MONITORING / name).read_text())


def test_yaml_configs_pass_yamllint() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "-s", "-d", YAMLLINT_CONFIG, str(MONITORING)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_structure() -> None:
    config = yaml_file("prometheus.yml")
    assert config["global"]["scrape_interval"].endswith("s")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    churn = jobs["churn-api"]
    assert churn["metrics_path"] == "/metrics"
    assert churn["static_configs"][0]["targets"] == ["churn-api:8000"]
    for rule_file in config["rule_files"]:
        assert (MONITORING / rule_file).is_file()
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert config["remote_write"][0]["url"].endswith("/api/v1/write")


def all_rules() -> list[dict]:
    return [rule for group in yaml_file("rules.yml")["groups"] for rule in group["rules"]]


def test_alert_rules_structure() -> None:
    rules = all_rules()
    alerts = [r for r in rules if "alert" in r]
    records = [r for r in rules if "record" in r]
    assert len(alerts) >= 4
    assert len(records) >= 3
    for rule in records:
        assert re.fullmatch(r"[a-z_]+:[a-z_0-9]+:[a-z_0-9]+", rule["record"]), rule["record"]
    for rule in alerts:
        assert re.fullmatch(r"[A-Z][A-Za-z]+", rule["alert"])
        assert rule["expr"].strip()
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["labels"]["severity"] in {"critical", "warning", "ticket"}
        assert rule["annotations"]["summary"]
    severities = {r["labels"]["severity"] for r in alerts}
    routed = {
        route["matchers"][0].split("=")[1].strip('"')
        for route in yaml_file("alertmanager.yml")["route"]["routes"]
    }
    assert routed <= severities


def test_alertmanager_routes_point_at_defined_receivers() -> None:
    config = yaml_file("alertmanager.yml")
    receivers = {r["name"] for r in config["receivers"]}
    assert config["route"]["receiver"] in receivers
    assert {r["receiver"] for r in config["route"]["routes"]} <= receivers
    alert_names = {r["alert"] for r in all_rules() if "alert" in r}
    assert 'alertname="ChurnApiDown"' in config["inhibit_rules"][0]["source_matchers"]
    assert "ChurnApiDown" in alert_names


def promql_expressions() -> list[str]:
    exprs = [rule["expr"] for rule in all_rules()]
    dashboard = json.loads((MONITORING / "grafana/dashboards/churn_api.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    return exprs


def exported_series(report) -> tuple[set[str], set[str]]:
    names, labels = set(), set()
    for line in report.metrics_text.splitlines():
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if match and not line.startswith("#"):
            names.add(match.group(1))
            labels |= set(re.findall(r'(\w+)="', match.group(3) or ""))
    return names, labels


def test_promql_refers_only_to_exported_metrics_and_labels(report) -> None:
    names, labels = exported_series(report)
    recorded = {r["record"] for r in all_rules() if "record" in r}
    synthetic = {"up"}  # written by Prometheus itself for every target
    functions = {"sum", "rate", "increase", "histogram_quantile", "abs", "max", "by", "le"}
    used_metrics: set[str] = set()
    for expr in promql_expressions():
        bare = re.sub(r'"[^"]*"', '""', expr)  # drop string literals
        bare = re.sub(r"\[[^\]]*\]", "", bare)  # drop range selectors like [5m]
        for token in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare):
            if ":" in token:
                assert token in recorded, f"unknown recording rule {token} in {expr}"
            elif token.startswith("churn_api_"):
                assert token in names, f"{token} is not exported by the example service"
                used_metrics.add(token)
            elif token == "up":
                assert token in synthetic
        for group in re.findall(r"by\s*\(([^)]*)\)", bare):
            for label in (x.strip() for x in group.split(",")):
                assert label in labels | {"le"}, f"label {label} not on any series ({expr})"
        for matcher_block in re.findall(r"\{([^}]*)\}", expr):
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matcher_block):
                assert label in labels | {"job", "instance"}, f"unknown label {label} ({expr})"
        assert not set(re.findall(r"\b[a-z_]+\(", bare)) - {f + "(" for f in functions}
    # the dashboard and rules cover the four golden signals' metrics
    assert {
        "churn_api_requests_total",
        "churn_api_request_duration_seconds_bucket",
        "churn_api_in_flight_requests",
        "churn_api_predictions_total",
        "churn_api_churn_probability_bucket",
    } <= used_metrics


def test_grafana_dashboard_json() -> None:
    dashboard = json.loads((MONITORING / "grafana/dashboards/churn_api.json").read_text())
    assert dashboard["uid"] == "churn-api"
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    graph_panels = [p for p in panels if p["type"] != "row"]
    assert len(graph_panels) >= 6
    for panel in graph_panels:
        assert panel["targets"], panel["title"]
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        for target in panel["targets"]:
            assert target["refId"] and target["expr"]
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "job"} <= variables


def test_grafana_provisioning_and_compose_files() -> None:
    datasources = yaml_file("grafana/provisioning/datasources/datasources.yml")["datasources"]
    assert {d["name"] for d in datasources} == {"Prometheus", "VictoriaMetrics"}
    assert all(d["type"] == "prometheus" for d in datasources)
    providers = yaml_file("grafana/provisioning/dashboards/dashboards.yml")["providers"]
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"
    compose = yaml_file("docker-compose.yml")
    assert {"churn-api", "prometheus", "alertmanager", "grafana", "victoriametrics"} <= set(
        compose["services"]
    )
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (MONITORING / source).exists(), source


def test_compose_file_matches_compose_spec() -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    if not exe.exists():
        pytest.skip("check-jsonschema not installed")
    result = subprocess.run(
        [
            str(exe),
            "--builtin-schema",
            "vendor.compose-spec",
            str(MONITORING / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_config_and_rules(require_tool) -> None:
    promtool = require_tool("promtool")  # Debian package "prometheus"; .ci/run installs it
    for args in (["check", "rules", "rules.yml"], ["check", "config", "prometheus.yml"]):
        result = subprocess.run(
            [promtool, *args], cwd=MONITORING, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
