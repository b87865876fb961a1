"""Tests for lecture 4: the examples run and their numbers make sense."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

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


@pytest.fixture(scope="module")
def fast_path_client() -> Iterator[TestClient]:
    """The fast-path example's app, its scorer trained once for the module."""
    with TestClient(load("fast_path").create_app(), raise_server_exceptions=False) as client:
        yield client


def _post(client: TestClient, path: str, body: bytes, content_type: str = "application/json"):
    return client.post(path, content=body, headers={"content-type": content_type})


def test_fast_path_gives_the_same_answers(fast_path_client: TestClient) -> None:
    module = load("fast_path")
    bodies = module.example_bodies(5)
    anonymous = json.loads(bodies[0])
    del anonymous["customer_id"]
    new_customer = dict(anonymous, tenure=0, total_charges=None)
    bodies += [json.dumps(anonymous).encode(), json.dumps(new_customer).encode()]
    scorer = fast_path_client.app.state.scorer
    for body in bodies:
        idiomatic = _post(fast_path_client, "/predict", body)
        fast = _post(fast_path_client, "/predict/fast", body)
        assert idiomatic.status_code == fast.status_code == 200
        assert fast.json() == idiomatic.json()
        expected = scorer.predict_proba(json.loads(body))
        assert fast.json()["churn_probability"] == pytest.approx(expected, abs=1e-12)
        assert fast.json()["customer_id"] == json.loads(body).get("customer_id")


INVALID_BODIES = {
    "missing field": lambda c: c.pop("tenure"),
    "string for an integer": lambda c: c.update(tenure="12"),
    "boolean for a flag": lambda c: c.update(female=True),
    "fractional integer": lambda c: c.update(tenure=12.5),
    "out of range": lambda c: c.update(monthly_charges=1500.0),
    "bad enum value": lambda c: c.update(contract="Three year"),
    "null customer_id": lambda c: c.update(customer_id=None),
    "unknown field": lambda c: c.update(gender="F"),
    "everything missing": lambda c: c.clear(),
}


@pytest.mark.parametrize("case", sorted(INVALID_BODIES))
def test_fast_path_gives_the_same_422(fast_path_client: TestClient, case: str) -> None:
    customer = json.loads(load("fast_path").example_bodies(1)[0])
    INVALID_BODIES[case](customer)
    body = json.dumps(customer).encode()
    idiomatic = _post(fast_path_client, "/predict", body)
    fast = _post(fast_path_client, "/predict/fast", body)
    assert idiomatic.status_code == fast.status_code == 422
    assert fast.json() == idiomatic.json()  # loc, type, msg, input and ctx of every item


@pytest.mark.parametrize("token", ["NaN", "Infinity"])
def test_fast_path_rejects_non_finite_numbers_like_fastapi(
    fast_path_client: TestClient, token: str
) -> None:
    body = load("fast_path").example_bodies(1)[0].decode()
    body = re.sub(r'"monthly_charges":[^,]+', f'"monthly_charges":{token}', body).encode()
    for path in ("/predict", "/predict/fast"):
        response = _post(fast_path_client, path, body)
        assert response.status_code == 422, path
        [error] = response.json()["detail"]
        assert (error["loc"], error["type"]) == (["body", "monthly_charges"], "finite_number")


def test_fast_path_malformed_json_is_422_json_invalid(fast_path_client: TestClient) -> None:
    for path in ("/predict", "/predict/fast"):
        response = _post(fast_path_client, path, b'{"tenure": 5,')
        assert response.status_code == 422, path
        [error] = response.json()["detail"]
        # FastAPI adds the character offset to loc (["body", 13]); pydantic's parser does not.
        assert error["type"] == "json_invalid" and error["loc"][0] == "body", path


def test_fast_path_checks_the_content_type_itself(fast_path_client: TestClient) -> None:
    body = load("fast_path").example_bodies(1)[0]
    assert _post(fast_path_client, "/predict", body, "text/plain").status_code == 422
    assert _post(fast_path_client, "/predict/fast", body, "text/plain").status_code == 415


def test_fast_path_documents_its_body_by_hand(fast_path_client: TestClient) -> None:
    paths = fast_path_client.get("/openapi.json").json()["paths"]
    for path in ("/predict", "/predict/fast"):
        operation = paths[path]["post"]
        request = operation["requestBody"]["content"]["application/json"]["schema"]
        response = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert request == {"$ref": "#/components/schemas/Customer"}, path
        assert response == {"$ref": "#/components/schemas/Prediction"}, path
    # FastAPI documents the 422 only where it validates the body itself.
    assert "422" in paths["/predict"]["post"]["responses"]
    assert "422" not in paths["/predict/fast"]["post"]["responses"]


def test_fast_path_in_process_timing_runs() -> None:
    figures = load("fast_path").time_in_process(repeats=20)
    assert set(figures) == {"health", "predict", "predict_fast"}
    assert all(value > 0 for value in figures.values())


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


def test_dynamic_quantization_shrinks_the_mlp_and_keeps_its_auc(tmp_path: Path) -> None:
    module = load("quantization")
    result = module.compare(tmp_path, repeats=40)
    f32, i8 = result["float32"], result["int8"]
    assert i8.file_bytes < 0.5 * f32.file_bytes  # weights as int8: about a quarter of the bytes
    assert abs(i8.roc_auc - f32.roc_auc) < 0.01
    assert f32.roc_auc == pytest.approx(result["sklearn_roc_auc"], abs=1e-4)  # export is faithful
    assert f32.roc_auc > 0.8
    assert result["decision_agreement"] > 0.98
    # The MatMuls became integer MatMuls fed by on-the-fly activation quantization.
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= set(i8.op_counts)
    assert f32.op_counts.get("MatMul", 0) >= 3 and i8.op_counts.get("MatMul", 0) == 0
    assert not module.QUANTIZED_OPS & set(f32.op_counts)
    assert i8.one_row_s > 0 and i8.batch_s > 0  # latency is reported, not asserted (shared CPU)


BOOTSTRAP_SHA256 = "9caac977a0af0c2229abd397eee3345899c4020da2a1a0b711c1cc543fe3719d"
FORM_CUSTOMER = {
    "female": "0", "senior_citizen": "0", "partner": "0", "dependents": "0", "tenure": "2",
    "phone_service": "1", "multiple_lines": "No", "internet_service": "Fiber optic",
    "online_security": "No", "online_backup": "No", "device_protection": "No",
    "tech_support": "No", "streaming_tv": "No", "streaming_movies": "No",
    "contract": "Month-to-month", "paperless_billing": "1", "payment_method": "Electronic check",
    "monthly_charges": "70.70", "total_charges": "151.65",
}  # fmt: skip


@pytest.fixture(scope="module")
def ui_client() -> Iterator[TestClient]:
    module = load("ui_service")
    with TestClient(module.create_app(module.train_from_csv())) as client:
        yield client


def test_ui_page_links_only_local_vendored_assets(ui_client: TestClient) -> None:
    import hashlib

    page = ui_client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    links = re.findall(r'(?:href|src|action)="([^"]+)"', page.text)
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no fonts
    (css,) = [link for link in links if link.endswith(".css")]
    served = ui_client.get(css)
    assert served.status_code == 200 and "text/css" in served.headers["content-type"]
    assert hashlib.sha256(served.content).hexdigest() == BOOTSTRAP_SHA256
    licence = EXAMPLES / "ui" / "static" / "vendor" / "bootstrap" / "LICENSE"
    assert "MIT" in licence.read_text() and "Bootstrap" in licence.read_text()
    # One input per feature, named as the API's fields.
    assert len(re.findall(r'<(?:input|select)[^>]* name="', page.text)) == len(FORM_CUSTOMER)


def test_ui_form_round_trips_a_prediction(ui_client: TestClient) -> None:
    json_answer = ui_client.post("/predict", json={
        k: (float(v) if "charges" in k else int(v)) if v[0].isdigit() else v
        for k, v in FORM_CUSTOMER.items()
    }).json()  # fmt: skip
    form_answer = ui_client.post("/predict", data=FORM_CUSTOMER)  # what the browser sends
    assert form_answer.status_code == 200 and "text/html" in form_answer.headers["content-type"]
    shown = re.search(r"Churn probability: <strong>([\d.]+)</strong>", form_answer.text)
    assert shown and float(shown.group(1)) == pytest.approx(
        json_answer["churn_probability"], abs=5e-4
    )
    assert "likely to leave" in form_answer.text and json_answer["churn"] is True
    assert 'value="70.7"' in form_answer.text  # the form keeps what was entered


def test_ui_form_errors_name_the_field_and_keep_the_page(ui_client: TestClient) -> None:
    bad = dict(FORM_CUSTOMER, tenure="-3", contract="Forever")
    answer = ui_client.post("/predict", data=bad)
    assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
    assert re.search(r"Please check: contract, tenure", answer.text)
    assert ui_client.post("/predict", json={"tenure": 1}).status_code == 422  # the API still JSON
