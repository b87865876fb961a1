"""Tests for lecture 10 (monitoring): the instrumented service, the drift report and the configs."""

from __future__ import annotations

import importlib.util
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import yaml

from grader.monitoring import alertmanager
from grader.monitoring import prometheus as harness

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


def target_labels() -> set[str]:
    """Labels Prometheus attaches to every series of the churn-api target."""
    job = next(
        j for j in yaml_file("prometheus.yml")["scrape_configs"] if j["job_name"] == "churn-api"
    )
    static = {key for config in job["static_configs"] for key in config.get("labels", {})}
    return static | {"job", "instance"}


def test_promql_refers_only_to_exported_metrics_and_labels(report) -> None:
    names, labels = exported_series(report)
    labels |= target_labels()
    recorded = {r["record"] for r in all_rules() if "record" in r}
    synthetic = {"up"}  # written by Prometheus itself for every target
    functions = {"sum", "rate", "increase", "histogram_quantile", "abs", "max", "absent"}
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
                assert label in labels, f"unknown label {label} ({expr})"
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


# The oldest major version of each image the course accepts (a major behind is a finding).
CURRENT_MAJORS = {
    "prom/prometheus": 3,
    "prom/alertmanager": 0,
    "victoriametrics/victoria-metrics": 1,
    "grafana/grafana": 12,
}


def test_compose_follows_lecture_6_rules() -> None:
    """Error 9: pinned images (no `latest`), ports bound to 127.0.0.1, current major versions."""
    services = yaml_file("docker-compose.yml")["services"]
    for name, svc in services.items():
        repository, _, tag = svc["image"].rpartition(":")
        assert repository and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {svc['image']}"
        if repository in CURRENT_MAJORS:
            assert int(tag.lstrip("v").split(".")[0]) >= CURRENT_MAJORS[repository], svc["image"]
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on all interfaces"
    assert set(CURRENT_MAJORS) <= {s["image"].rpartition(":")[0] for s in services.values()}
    # the API image is lecture 6's, under the tag lecture 6 builds
    dockerfile = (HERE.parent / "06_containers_and_orchestration/examples/Dockerfile").read_text()
    assert services["churn-api"]["image"] in dockerfile


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
        result = harness.promtool(promtool, *args, cwd=MONITORING)
        assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ alert unit tests (promtool)
def rule_tests() -> list[dict]:
    return yaml_file("rules_test.yml")["tests"]


def test_promtool_unit_tests_pass(require_tool) -> None:
    promtool = require_tool("promtool")
    result = harness.promtool(promtool, "test", "rules", "rules_test.yml", cwd=MONITORING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for test in rule_tests():
        for case in test.get("alert_rule_test", []):
            (firing if case["exp_alerts"] else quiet).add(case["alertname"])
    alerts = {r["alert"] for r in all_rules() if "alert" in r}
    assert firing == alerts
    assert quiet == alerts


def test_no_traffic_alert_fires_when_the_series_is_absent() -> None:
    """Error 3: the unit test feeds no /predict series at all and expects the alert to fire."""
    (test,) = [t for t in rule_tests() if "absent" in t["name"]]
    series = " ".join(s["series"] for s in test["input_series"])
    assert 'route="/predict"' not in series
    (case,) = [
        c
        for c in test["alert_rule_test"]
        if c["alertname"] == "ChurnApiNoTraffic" and c["exp_alerts"]
    ]
    assert case["exp_alerts"][0]["exp_labels"]["service"] == "churn-api"
    (rule,) = [r for r in all_rules() if r.get("alert") == "ChurnApiNoTraffic"]
    assert "absent(" in rule["expr"] or "vector(0)" in rule["expr"]


AGGREGATION = re.compile(
    r"\b(sum|avg|min|max|count|topk|bottomk|quantile)\s*(?:(by|without)\s*\(([^)]*)\))?\s*\("
)


def test_aggregations_keep_the_service_label() -> None:
    """Error 2: an aggregation that drops `service` makes `equal: [service]` inhibition impossible."""
    for rule in all_rules():
        for op, kind, labels in AGGREGATION.findall(rule["expr"]):
            name = rule.get("record") or rule.get("alert")
            assert kind == "by", f"{name}: {op}() without `by` drops every label"
            assert "service" in {x.strip() for x in labels.split(",")}, (
                f"{name}: {op} by ({labels})"
            )


def test_alertmanager_config_is_structurally_valid() -> None:
    config = alertmanager.load_alertmanager_config(MONITORING / "alertmanager.yml")
    assert alertmanager.check_alertmanager_config(config) == []
    broken = json.loads(json.dumps(config))
    broken["route"]["routes"][0]["receiver"] = "nobody"
    broken["inhibit_rules"][0]["equal"] = []
    broken["inhibit_rules"][0]["source_matchers"] = ["alertname=ChurnApiDown"]  # unquoted
    problems = alertmanager.check_alertmanager_config(broken)
    assert len(problems) == 3, problems


def _firing_alerts(test_name: str, eval_time: str) -> list[dict[str, str]]:
    """The alerts (alertname + labels) a promtool unit test expects at one evaluation time."""
    (test,) = [t for t in rule_tests() if t["name"] == test_name]
    alerts = []
    for case in test["alert_rule_test"]:
        if case["eval_time"] == eval_time:
            for alert in case["exp_alerts"]:
                alerts.append({"alertname": case["alertname"], **alert["exp_labels"]})
    return alerts


def test_down_inhibits_the_error_alert_of_the_same_service(require_tool) -> None:
    """Error 2, end to end: promtool proves the labels each alert carries (the unit test passes),
    and Alertmanager's inhibition rule, applied to exactly those labels, mutes the error alert."""
    test_promtool_unit_tests_pass(require_tool)
    alerts = _firing_alerts("down and failing, labels flow to both alerts", "10m")
    assert [a["alertname"] for a in alerts] == ["ChurnApiDown", "ChurnApiHighErrorRate"]
    rules = yaml_file("alertmanager.yml")["inhibit_rules"]
    assert alertmanager.inhibited(alerts, rules) == [False, True]
    # a different service going down does not silence this one
    other = [{**alerts[0], "service": "billing-api"}, alerts[1]]
    assert alertmanager.inhibited(other, rules) == [False, False]
    # and without the label on the target (the old recording rules) nothing is inhibited
    stripped = [alerts[0], {k: v for k, v in alerts[1].items() if k != "service"}]
    assert alertmanager.inhibited(stripped, rules) == [False, False]


def test_prediction_shift_compares_like_with_like(service: ModuleType) -> None:
    """Error 1: the alert's reference value must be the training value of the same quantity."""
    from monitored_model import FEATURES, build_pipeline

    df = service.load_data()
    labels = (df["churn"] == "Yes").astype(int)
    proba = build_pipeline().fit(df[FEATURES], labels).predict_proba(df[FEATURES])[:, 1]
    training = {
        "mean_probability": float(proba.mean()),
        "flag_share": float((proba >= service.THRESHOLD).mean()),
    }
    assert abs(training["mean_probability"] - labels.mean()) < 0.005  # calibrated on average
    assert training["flag_share"] < labels.mean() - 0.03  # flags fewer than really churn

    (alert,) = [r for r in all_rules() if r.get("alert") == "ChurnApiPredictionShift"]
    records = {r["record"]: r["expr"] for r in all_rules() if "record" in r}
    (series,) = [name for name in records if name in alert["expr"]]
    reference = float(re.search(r"-\s*(0\.\d+)\s*\)", alert["expr"]).group(1))
    if "churn_probability_sum" in records[series]:
        compared = "mean_probability"
    else:
        assert 'outcome="churn"' in records[series], records[series]
        compared = "flag_share"
    assert reference == pytest.approx(training[compared], abs=0.01), (compared, training)


# ------------------------------------------------------------------ a real Prometheus
def _scrape_config(port: int, rules_path: Path) -> str:
    """The lecture's prometheus.yml, pointed at the example service on 127.0.0.1, scraping every
    second, evaluating rules every second, without Alertmanager or remote storage."""
    config = yaml_file("prometheus.yml")
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "churn-api")
    job["scrape_interval"] = "1s"
    job["scrape_timeout"] = "1s"
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{port}"]
    fast = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules_path)],
        "scrape_configs": [job],
    }
    return yaml.safe_dump(fast, sort_keys=False)


def test_real_prometheus_scrapes_the_service_and_evaluates_the_rules(
    require_tool, service: ModuleType, tmp_path: Path
) -> None:
    binary = require_tool("prometheus")
    rules = yaml_file("rules.yml")
    for group in rules["groups"]:
        group.pop("interval", None)  # follow the 1 s evaluation interval of this test
    rules_path = tmp_path / "rules.yml"
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))

    df = service.load_data()
    model, _ = service.train_model(df)
    app = service.create_app(model, service.build_metrics(), service.make_logger(io.StringIO()))
    with service.BackgroundServer(app) as api, httpx.Client(base_url=api.base_url) as client:
        config = _scrape_config(api.port, rules_path)
        with harness.PrometheusServer(binary, config, tmp_path / "prom") as prom:
            up = prom.wait_for(lambda: prom.query('up{job="churn-api"} == 1'))
            assert up[0]["metric"]["service"] == "churn-api"

            def no_traffic_alert() -> list[dict]:
                return [a for a in prom.alerts() if a["labels"]["alertname"] == "ChurnApiNoTraffic"]

            # Nobody has called /predict: the series does not exist, and absent() notices.
            (pending,) = prom.wait_for(no_traffic_alert)
            assert pending["state"] == "pending"
            assert pending["labels"]["service"] == "churn-api"

            # A counter's first sample is not an increase: let Prometheus see the new series,
            # then send the rest, so rate() has something to measure.
            first, *rest = service.customer_payloads(df, 20)
            assert client.post("/predict", json=first).status_code == 200
            prom.wait_for(lambda: prom.query('churn_api_requests_total{route="/predict"}'))
            for body in rest:
                assert client.post("/predict", json=body).status_code == 200
            rate = prom.wait_for(
                lambda: prom.query('service_route:churn_api_requests:rate5m{route="/predict"} > 0')
            )
            assert rate[0]["metric"]["service"] == "churn-api"  # the label survived aggregation
            total = prom.wait_for(
                lambda: prom.query('sum(churn_api_requests_total{route="/predict"}) == 20')
            )
            assert float(total[0]["value"][1]) == 20
            prom.wait_for(lambda: not no_traffic_alert())
            mean = prom.wait_for(lambda: prom.query("service:churn_api_churn_probability:mean1h"))
            assert 0 < float(mean[0]["value"][1]) < 1
            assert mean[0]["metric"] == {
                "__name__": "service:churn_api_churn_probability:mean1h",
                "service": "churn-api",
            }
            (target,) = prom.targets()
            assert target["health"] == "up", target["lastError"]
