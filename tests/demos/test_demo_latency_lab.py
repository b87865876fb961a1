"""The latency lab, driven through Streamlit's AppTest with small request counts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

FAST = "Logistic regression, fast path"
NAIVE = "Logistic regression, sklearn pipeline"
FOREST = "Random forest, sklearn pipeline"


@pytest.fixture
def app(demo_path: Path) -> AppTest:
    at = AppTest.from_file(str(demo_path / "latency_lab.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Latency lab"
    return at


def run(at: AppTest, requests: int, batch: int) -> pd.DataFrame:
    """Press Run with the given sizes; return the table of all numbers."""
    at.slider(key="n_requests").set_value(requests)
    at.slider(key="batch_size").set_value(batch)
    at.slider(key="budget_s").set_value(2)
    at.button(key="run").click().run()
    assert not at.exception
    return next(d.value for d in at.dataframe if "per record (µs)" in d.value.columns)


def row(table: pd.DataFrame, starts: str, contains: str) -> pd.Series:
    match = table[table["path"].str.startswith(starts) & table["path"].str.contains(contains)]
    assert len(match) == 1, (starts, contains, list(table["path"]))
    return match.iloc[0]


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec).get("title", "") for c in at.get("vega_lite_chart")]


def test_nothing_is_measured_before_run(app: AppTest) -> None:
    assert not app.metric
    assert any("Press **Run**" in i.value for i in app.info)


def test_in_process_run_measures_percentiles_and_batching(app: AppTest) -> None:
    app.multiselect(key="models").set_value([FAST, NAIVE, FOREST])
    table = run(app, requests=20, batch=10)
    labels = [m.label for m in app.metric]
    for label in ("p50", "p95", "p99", "per record", "records/s"):
        assert labels.count(label) == 6, label  # 3 models x (single, batch)
    assert "Latency distribution per request (log scale)" in chart_titles(app)
    assert any(t.startswith("Throughput") for t in chart_titles(app))
    assert (table["p50 (ms)"] <= table["p95 (ms)"]).all()
    assert (table["p95 (ms)"] <= table["p99 (ms)"]).all()
    assert (table["records/s"] > 0).all() and (table["errors"] == 0).all()
    for model in (NAIVE, FOREST):
        single, batch = row(table, model, "1 record"), row(table, model, "batch of 10")
        assert batch["per record (µs)"] < single["per record (µs)"]
        assert single["requests"] == 20 and batch["records"] == 10 * batch["requests"]
    text = "\n".join(m.value for m in app.markdown)
    assert "Batching 10 records cut the per-record cost" in text
    assert "Shrink the code path" in text and "Scale out" in text and "Scale up" in text


def test_against_the_service_single_vs_batch(app: AppTest, solution_service: str) -> None:
    app.text_input(key="service_url").set_value(solution_service)
    app.radio(key="where").set_value("service URL")
    table = run(app, requests=30, batch=20)
    single = table.set_index("path").loc["Service · POST /predict"]
    batch = table.set_index("path").loc["Service · POST /predict/batch (20)"]
    assert single["errors"] == 0 and batch["errors"] == 0
    assert batch["per record (µs)"] < single["per record (µs)"]
    assert {"p50", "p95", "p99"} <= {m.label for m in app.metric}
    assert "Where the time goes" in "\n".join(m.value for m in app.markdown)


def test_service_down_is_a_clear_error(app: AppTest, closed_port_url: str) -> None:
    app.text_input(key="service_url").set_value(closed_port_url)
    app.radio(key="where").set_value("service URL")
    app.button(key="run").click().run()
    assert not app.exception
    assert any("Cannot reach the service" in e.value for e in app.error)
    assert not app.metric
