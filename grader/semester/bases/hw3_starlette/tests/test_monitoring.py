"""The monitoring files agree with the service: names it exports, the model's own rates, layout."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

HOME = Path(__file__).resolve().parents[1]
MONITORING = HOME / "monitoring"
SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
RECORDED = re.compile(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b")
ALERTS = {  # name: (severity, longest allowed `for`, in minutes)
    "ServiceDown": ("critical", 5),
    "High5xxRatio": ("critical", 10),
    "SlowPredictions": ("warning", 15),
    "FlaggedShareDrift": ("warning", 60),
}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((MONITORING / "rules.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def minutes(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()  # type: ignore[union-attr]
    return int(number) * {"s": 1 / 60, "m": 1, "h": 60}[unit]


def dashboard() -> dict[str, Any]:
    (path,) = (MONITORING / "grafana" / "dashboards").glob("*.json")
    return json.loads(path.read_text())


@pytest.fixture
def exported(http, sample) -> set[str]:
    """Every sample name the service exposes once it has answered a prediction."""
    http.post("/predict", json=sample)
    text = http.get("/metrics").text
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_prometheus_scrapes_the_contract_job_and_loads_the_rules() -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules.yml"]
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "churn-api" and job["metrics_path"] == "/metrics"


def test_every_alert_has_its_severity_a_bounded_for_and_a_summary() -> None:
    alerts = {rule["alert"]: rule for rule in rules() if "alert" in rule}
    assert set(alerts) == set(ALERTS)
    for name, (severity, longest) in ALERTS.items():
        rule = alerts[name]
        assert rule["labels"]["severity"] == severity, name
        assert 0 < minutes(rule["for"]) <= longest, name
        assert rule["annotations"]["summary"].strip(), name
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert f"### {name}" in (HOME / "README.md").read_text() and anchor == name.lower()


def test_slow_predictions_outlasts_a_one_minute_spike_and_watches_predict_only() -> None:
    alerts = {rule.get("alert"): rule for rule in rules()}
    assert minutes(alerts["SlowPredictions"]["for"]) >= 5
    recorded = {rule.get("record"): rule["expr"] for rule in rules()}
    latency = recorded["job:predict_latency_seconds:p95_5m"]
    assert 'route="/predict"' in latency and 'method="POST"' in latency


def test_the_drift_alert_uses_the_models_own_flag_rate() -> None:
    golden = json.loads((HOME / "model" / "metrics.json").read_text())
    (drift,) = [rule for rule in rules() if rule.get("alert") == "FlaggedShareDrift"]
    constants = [float(x) for x in re.findall(r"\d+\.\d+", drift["expr"])]
    assert golden["train_flag_rate"] in constants
    assert golden["train_label_rate"] not in constants
    assert ">= 100" in drift["expr"]


def test_rules_and_panels_name_only_what_the_service_exports(exported) -> None:
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    in_rules = {name for rule in rules() for name in SELECTOR.findall(rule["expr"])}
    panels = dashboard()["panels"]
    in_panels = {
        name for p in panels for t in p.get("targets", []) for name in SELECTOR.findall(t["expr"])
    }
    allowed = exported | recorded | {"up"}
    assert in_rules - allowed == set()
    used_records = {name for rule in rules() for name in RECORDED.findall(rule["expr"])}
    assert used_records <= recorded and used_records
    assert in_panels - exported == set()
    assert {"http_requests_total", "predictions_total"} <= in_rules


def test_the_dashboard_shows_golden_signals_above_the_model() -> None:
    panels = [p for p in dashboard()["panels"] if p["type"] != "row"]
    top = min(p["gridPos"]["y"] for p in panels)
    first_row = " ".join(
        t["expr"] for p in panels if p["gridPos"]["y"] == top for t in p["targets"]
    )
    assert "http_requests_total" in first_row
    assert re.search(r'status=~"5', first_row)
    assert "http_request_duration_seconds_bucket" in first_row
    model = [
        p
        for p in panels
        if re.search(r"predictions_total|prediction_probability|model_info", str(p["targets"]))
    ]
    assert model and all(p["gridPos"]["y"] > top for p in model)


def test_grafana_provisions_the_dashboards_compose_mounts() -> None:
    provider = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "dashboards" / "churn.yml").read_text()
    )["providers"][0]
    compose = yaml.safe_load((HOME / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./monitoring/grafana/dashboards:{provider['options']['path']}:ro" in mounts
    assert {"db", "api", "prometheus", "grafana"} <= set(compose["services"])
    for service in compose["services"].values():
        assert ":" in service["image"] and not service["image"].endswith(":latest")
        assert all(port.startswith("127.0.0.1:") for port in service.get("ports", []))


def test_every_alert_has_a_promtool_unit_test() -> None:
    tested = set()
    for path in (MONITORING / "tests").glob("*.yml"):
        document = yaml.safe_load(path.read_text())
        assert document["rule_files"] == ["../rules.yml"]
        for case in document["tests"]:
            tested |= {check["alertname"] for check in case.get("alert_rule_test", [])}
    assert tested == set(ALERTS)
