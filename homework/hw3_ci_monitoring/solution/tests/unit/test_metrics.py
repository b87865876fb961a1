"""Unit tests of the metric families: names, counts, the bounded route label."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from app.metrics import LATENCY_BUCKETS, UNMATCHED_ROUTE, ServiceMetrics, route_template
from app.routers import health, predictions


def families(metrics: ServiceMetrics) -> dict[str, object]:
    text = metrics.exposition().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample_value(metrics: ServiceMetrics, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    raise AssertionError(f"no sample {name} {labels}")


def test_families_have_the_contract_types() -> None:
    found = {name: f.type for name, f in families(ServiceMetrics.create()).items()}
    assert found["http_requests"] == "counter"
    assert found["http_request_duration_seconds"] == "histogram"
    assert found["http_requests_in_progress"] == "gauge"
    assert found["predictions"] == "counter"
    assert found["prediction_probability"] == "histogram"
    assert found["model_info"] == "gauge"
    assert "process_cpu_seconds" in found or "python_info" in found


def test_histogram_buckets_are_the_contracts() -> None:
    contract = json.loads((Path(__file__).parents[1] / "public" / "contract.json").read_text())
    declared = {
        f["name"]: f.get("buckets") for f in contract["observability"]["metrics"]["families"]
    }
    metrics = ServiceMetrics.create()
    metrics.observe_request("GET", "/health", 200, 0.01)  # a labelled histogram shows up once used
    found = families(metrics)
    for name in ("http_request_duration_seconds", "prediction_probability"):
        bounds = [
            float(s.labels["le"])
            for s in found[name].samples
            if s.name.endswith("_bucket") and s.labels["le"] != "+Inf"
        ]
        assert bounds == declared[name], name


def test_each_application_gets_its_own_registry() -> None:
    first, second = ServiceMetrics.create(), ServiceMetrics.create()
    first.observe_request("GET", "/health", 200, 0.01)
    assert sample_value(first, "http_requests_total", route="/health") == 1
    assert "http_requests_total{" not in second.exposition().decode()


def test_observe_request_counts_and_times() -> None:
    metrics = ServiceMetrics.create()
    metrics.observe_request("POST", "/predict", 200, 0.03)
    metrics.observe_request("POST", "/predict", 200, 0.3)
    metrics.observe_request("POST", "/predict", 422, 0.001)
    assert sample_value(metrics, "http_requests_total", status="200") == 2
    assert sample_value(metrics, "http_requests_total", status="422") == 1
    assert sample_value(metrics, "http_request_duration_seconds_count", route="/predict") == 3
    assert sample_value(metrics, "http_request_duration_seconds_bucket", le="0.05") == 2
    assert sample_value(metrics, "http_request_duration_seconds_bucket", le="0.25") == 2
    assert sample_value(metrics, "http_request_duration_seconds_bucket", le="+Inf") == 3
    assert 0.25 in LATENCY_BUCKETS  # the latency target is a bucket boundary


def test_observe_predictions_by_outcome() -> None:
    metrics = ServiceMetrics.create()
    metrics.observe_predictions([(True, 0.9), (False, 0.1), (False, 0.49)])
    metrics.observe_predictions([])
    assert sample_value(metrics, "predictions_total", outcome="churn") == 1
    assert sample_value(metrics, "predictions_total", outcome="no_churn") == 2
    assert sample_value(metrics, "prediction_probability_count") == 3
    assert sample_value(metrics, "prediction_probability_bucket", le="0.5") == 2
    assert sample_value(metrics, "prediction_probability_sum") == 1.49


def test_model_info_keeps_one_series() -> None:
    metrics = ServiceMetrics.create()
    metrics.set_model("1.0.0")
    metrics.set_model("1.1.0")
    text = metrics.exposition().decode()
    assert 'model_info{version="1.1.0"} 1.0' in text and "1.0.0" not in text


def scope(path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}


def test_route_template_before_routing_matches_templates_not_paths() -> None:
    routes = [*health.router.routes, *predictions.router.routes]
    assert route_template(scope("/predictions/17"), routes) == "/predictions/{id}"
    assert route_template(scope("/health"), routes) == "/health"
    assert route_template(scope("/health", "POST"), routes) == "/health"  # a 405: same route
    for path in ["/", "/nope", "/predictions/17/extra", "/etc/passwd"]:
        assert route_template(scope(path), routes) == UNMATCHED_ROUTE


def test_route_template_prefers_the_route_that_served() -> None:
    served = scope("/predictions/5") | {"route": predictions.router.routes[1]}
    assert route_template(served, []) == predictions.router.routes[1].path
