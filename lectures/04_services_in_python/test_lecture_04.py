"""Tests for lecture 4: the examples run and their numbers make sense."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).parent / "examples"


def load(name: str) -> ModuleType:
    """Import an example file by path under a lecture-specific module name."""
    spec = importlib.util.spec_from_file_location(f"lecture04_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pydantic resolve annotations through it
    spec.loader.exec_module(module)
    return module


def test_fast_path_matches_pipeline_and_is_much_faster() -> None:
    result = load("latency_gap").measure(repeats=30, batch_size=1000)
    assert result["max_abs_diff"] < 1e-6
    # The per-request DataFrame path pays a fixed overhead that dwarfs the arithmetic ...
    assert result["dataframe_p50"] > 20 * result["fast_p50"]
    assert result["dataframe_p50"] > 100 * result["arithmetic_p50"]
    # ... and batching amortises it.
    assert result["batch_per_record"] < result["dataframe_p50"] / 10
    assert result["dataframe_p50"] <= result["dataframe_p95"] <= result["dataframe_p99"]


def test_fast_scorer_handles_missing_total_charges_and_unknown_category() -> None:
    module = load("latency_gap")
    x, y = module.load_data()
    model = module.train_pipeline(x, y)
    fast = module.FastChurnScorer.from_pipeline(model)
    new_customer = x[x["total_charges"].isna()].iloc[[0]]  # tenure 0, no bill yet
    expected = model.predict_proba(new_customer)[0, 1]
    assert fast.predict_proba(new_customer.iloc[0].to_dict()) == pytest.approx(expected, abs=1e-9)
    odd = x.iloc[[0]].assign(payment_method="Cryptocurrency")  # ignored by the one-hot encoder
    expected = model.predict_proba(odd)[0, 1]
    assert fast.predict_proba(odd.iloc[0].to_dict()) == pytest.approx(expected, abs=1e-9)
    assert fast.predict_proba(odd.iloc[0].to_dict()) != fast.predict_proba(x.iloc[0].to_dict())


def test_onnx_export_agrees_with_sklearn(tmp_path: Path) -> None:
    result = load("onnx_export").compare(tmp_path, repeats=20)
    assert (tmp_path / "churn.onnx").stat().st_size == result["file_bytes"] > 1000
    assert result["rows_checked"] == 5607
    assert result["label_agreement"] == 1.0
    assert result["max_abs_diff"] < 1e-5
    assert result["onnx_one_row_s"] < result["sklearn_one_row_s"]


def test_fastapi_service_over_http() -> None:
    result = load("fastapi_service").run_demo(n_requests=30)
    assert result["base_url"].startswith("http://127.0.0.1:")
    assert result["health"] == {"status": "ok"}
    predictions = result["predictions"]
    assert len(predictions) == 5
    assert all(0.0 <= p["churn_probability"] <= 1.0 for p in predictions)
    assert all(p["churn"] == (p["churn_probability"] >= 0.5) for p in predictions)
    assert predictions[0]["customer_id"] == "row-2"
    assert result["max_abs_diff_vs_offline"] < 1e-9
    assert result["invalid_status"] == 422
    assert result["invalid_fields"] == ["contract", "tenure"]
    assert result["openapi_version"].startswith("3.")
    assert {"/health", "/predict"} <= set(result["openapi_paths"])
    latency = result["latency_ms"]
    assert 0 < latency["model_p50"] < latency["p50"] <= latency["p95"] <= latency["p99"]


def test_fastapi_schema_rejects_unknown_fields() -> None:
    module = load("fastapi_service")
    body = module.example_customers(1)[0]
    assert body["total_charges"] is None  # the one new customer
    module.Customer.model_validate(body)
    with pytest.raises(ValueError):
        module.Customer.model_validate(dict(body, surprise=1))


def test_async_queue_worker_batches_and_agrees() -> None:
    result = load("async_queue_worker").compare(n_requests=100)
    assert result["max_abs_diff"] < 1e-12
    assert result["batches"] < 100  # requests were grouped ...
    assert result["largest_batch"] > 1
    assert result["async_rps"] > 2 * result["sync_rps"]  # ... which pays off in throughput
    assert 0 < result["latency_p50_ms"] <= result["latency_max_ms"]


def test_flask_service_validates_and_predicts() -> None:
    result = load("flask_service").run_demo()
    assert result["health_status"] == 200
    assert result["statuses"] == [200, 200, 200]
    assert result["probabilities"][0] == pytest.approx(0.036, abs=0.01)
    assert result["invalid_status"] == 422
    messages = " ".join(e["msg"] for e in result["invalid_detail"])
    assert "extra_field" in messages and "Two years" in messages
    assert result["not_json_status"] == 400


def test_streamlit_script_mode_prints_predictions(capsys: pytest.CaptureFixture[str]) -> None:
    load("streamlit_app").main()  # outside `streamlit run`, main() prints instead of rendering
    lines = [line for line in capsys.readouterr().out.splitlines() if "p(churn)=" in line]
    probabilities = [float(line.split("p(churn)=")[1]) for line in lines]
    assert len(probabilities) == 3
    assert probabilities == sorted(probabilities, reverse=True)  # longer contract, less churn


def test_streamlit_page_reacts_to_widgets() -> None:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(EXAMPLES / "streamlit_app.py"), default_timeout=60).run()
    assert not app.exception
    month_to_month = float(app.metric[0].value.rstrip("%"))
    app.selectbox[0].select("Two year").run()
    two_year = float(app.metric[0].value.rstrip("%"))
    assert 0 < two_year < month_to_month < 100
