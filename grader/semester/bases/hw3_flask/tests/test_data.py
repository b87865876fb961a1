"""Data and configuration tests: the model artefact, the contract, the alert rules and the
dashboard agree with each other and with the training data (when data/train.csv is present)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from app.model import METRICS_PATH, MODEL_PATH
from app.validation import CONTRACT_PATH

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = json.loads(CONTRACT_PATH.read_text())
CUSTOMER_SCHEMA = CONTRACT["$defs"]["Customer"]
MODEL = json.loads(MODEL_PATH.read_text())
METRICS = json.loads(METRICS_PATH.read_text())
EXPORTED = {f["name"] for f in CONTRACT["observability"]["metrics"]["families"]}
SUFFIXES = ("_bucket", "_count", "_sum")


def test_the_model_knows_exactly_the_contract_features() -> None:
    assert set(MODEL["features"]) == set(CUSTOMER_SCHEMA["required"])
    for name, table in MODEL["categorical"].items():
        assert set(table) <= set(CUSTOMER_SCHEMA["properties"][name]["enum"]), name


def test_the_golden_metrics_are_plausible() -> None:
    assert 0.8 < METRICS["roc_auc"] < 0.9
    assert 0 < METRICS["train_flag_rate"] < METRICS["train_label_rate"] < 0.5
    assert METRICS["model_version"] == MODEL["version"]


def test_the_drift_alert_compares_with_the_models_flag_rate() -> None:
    rules = (ROOT / "monitoring" / "rules.yml").read_text()
    constants = re.findall(r"abs\(\S+ - ([0-9.]+)\)", rules)
    assert [float(c) for c in constants] == [METRICS["train_flag_rate"]]


def metric_names(expression: str) -> set[str]:
    """Identifiers of an expression that look like metric names (PromQL functions removed)."""
    words = set(re.findall(r"\b([a-z_][a-z0-9_:]*)\s*(?:\{|\[)", expression))
    return {w for w in words if not w.startswith("job:")}


def test_the_dashboard_queries_only_exported_metrics() -> None:
    dashboard = json.loads(
        (ROOT / "monitoring" / "grafana" / "dashboards" / "churn-service.json").read_text()
    )
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert queries
    for query in queries:
        for name in metric_names(query):
            base = name.removesuffix(next((s for s in SUFFIXES if name.endswith(s)), ""))
            assert name in EXPORTED or base in EXPORTED, (name, query)
    top = min(panel["gridPos"]["y"] for panel in dashboard["panels"])
    top_queries = " ".join(
        t["expr"]
        for panel in dashboard["panels"]
        if panel["gridPos"]["y"] == top
        for t in panel.get("targets", [])
    )
    assert 'status=~"5.."' in top_queries and "http_request_duration_seconds" in top_queries


@pytest.mark.skipif(not (ROOT / "data" / "train.csv").is_file(), reason="no data/train.csv")
def test_the_training_data_fits_the_contract() -> None:
    with (ROOT / "data" / "train.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == METRICS["n_rows"]
    for name in MODEL["categorical"]:
        values = {row[name] for row in rows}
        assert values <= set(CUSTOMER_SCHEMA["properties"][name]["enum"]), name
    tenure = [int(row["tenure"]) for row in rows]
    assert min(tenure) >= 0 and max(tenure) <= CUSTOMER_SCHEMA["properties"]["tenure"]["maximum"]
