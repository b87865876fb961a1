"""/metrics: the contract's families, counters that move by exactly what was sent, bounded labels."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.model import ChurnModel
from app.telemetry import Instruments, template_of
from app.validation import CONTRACT_PATH

CONTRACT: dict[str, Any] = json.loads(CONTRACT_PATH.read_text())
FAMILIES = {f["name"]: f for f in CONTRACT["observability"]["metrics"]["families"]}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient) -> Samples:
    """Every sample of GET /metrics: (name, sorted labels) -> value."""
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.get_data(as_text=True))
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= set(got))


def test_every_contract_family_has_its_type_labels_and_buckets(fresh_client, customer) -> None:
    fresh_client.post("/predict", json=customer)
    text = fresh_client.get("/metrics").get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, spec in FAMILIES.items():
        parsed = families[name.removesuffix("_total") if spec["type"] == "counter" else name]
        assert parsed.type == spec["type"], name
        for sample in parsed.samples:
            if sample.name.endswith("_created"):
                continue
            labels = set(sample.labels) - {"le"}
            assert labels == set(spec["labels"]), (name, sample)
        if "buckets" in spec:
            bounds = sorted(
                {float(s.labels["le"]) for s in parsed.samples if s.name.endswith("_bucket")}
            )
            assert bounds == [*spec["buckets"], float("inf")], name


def test_requests_are_counted_by_method_route_template_and_status(fresh_client, customer) -> None:
    before = scrape(fresh_client)
    assert fresh_client.post("/predict", json=customer).status_code == 200
    assert fresh_client.post("/predict", json={"tenure": 1}).status_code == 422
    batch = {"customers": [customer, customer]}
    assert fresh_client.post("/predict/batch", json=batch).status_code == 200
    assert fresh_client.get("/predictions/1").status_code == 200
    assert fresh_client.get("/predictions/777").status_code == 404
    assert fresh_client.get("/no/such/page?x=1").status_code == 404
    assert fresh_client.get("/predict").status_code == 405
    assert fresh_client.delete("/predictions/1").status_code == 405
    after = scrape(fresh_client)

    def moved(**labels: str) -> float:
        name = "http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(method="POST", route="/predict", status="200") == 1
    assert moved(method="POST", route="/predict", status="422") == 1
    assert moved(method="POST", route="/predict/batch", status="200") == 1
    assert moved(method="GET", route="/predictions/{id}", status="200") == 1
    assert moved(method="GET", route="/predictions/{id}", status="404") == 1
    assert moved(method="GET", route="__unmatched__", status="404") == 1
    assert moved(method="GET", route="/predict", status="405") == 1
    assert moved(method="DELETE", route="/predictions/{id}", status="405") == 1
    assert moved() == 8, "scrapes of /metrics are not counted"
    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(r and ("777" in r or "no/such" in r) for r in routes)


def test_latency_histogram_counts_every_request_once(fresh_client, customer) -> None:
    for _ in range(3):
        fresh_client.post("/predict", json=customer)
    fresh_client.get("/health")
    samples = scrape(fresh_client)
    duration = "http_request_duration_seconds"
    count = value(samples, f"{duration}_count", method="POST", route="/predict")
    assert count == 3 == value(samples, "http_requests_total", method="POST", route="/predict")
    assert value(samples, f"{duration}_bucket", route="/predict", le="+Inf") == 3
    assert 0 < value(samples, f"{duration}_sum", route="/predict") < 3
    assert value(samples, f"{duration}_count", route="/health") == 1


def test_predictions_are_counted_by_outcome(fresh_client, customer) -> None:
    loyal = dict(customer, contract="Two year", tenure=70, paperless_billing=0)
    model = ChurnModel.load()
    flagged, kept = model.probability(customer), model.probability(loyal)
    assert flagged >= 0.5 > kept
    before = scrape(fresh_client)
    assert value(before, "predictions_total", outcome="churn") == 0
    assert value(before, "predictions_total", outcome="no_churn") == 0
    fresh_client.post("/predict", json=customer)
    fresh_client.post("/predict/batch", json={"customers": [customer, loyal, loyal]})
    fresh_client.post("/predict/batch", json={"customers": [loyal, {"tenure": -1}]})  # 422
    after = scrape(fresh_client)
    assert value(after, "predictions_total", outcome="churn") == 2
    assert value(after, "predictions_total", outcome="no_churn") == 2
    assert value(after, "prediction_probability_count") == 4
    assert value(after, "prediction_probability_bucket", le="0.5") == 2
    assert value(after, "prediction_probability_bucket", le="+Inf") == 4
    assert value(after, "prediction_probability_sum") == pytest.approx(2 * flagged + 2 * kept)


def test_model_info_carries_the_served_version(fresh_client) -> None:
    version = fresh_client.get("/model").get_json()["version"]
    samples = scrape(fresh_client)
    assert value(samples, "model_info", version=version) == 1
    assert [dict(labels)["version"] for name, labels in samples if name == "model_info"] == [
        version
    ]


def test_in_flight_goes_back_to_zero_after_a_crash(engine) -> None:
    app = create_app(engine=engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    client = app.test_client()
    reply = client.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert reply.status_code == 500
    assert reply.get_json() == {"detail": "Internal Server Error"}
    assert reply.headers["X-Request-ID"] == "crash-1"
    samples = scrape(client)
    assert value(samples, "http_requests_in_progress") == 0
    assert value(samples, "http_requests_total", route="/boom", status="500") == 1


def test_in_flight_counts_the_request_being_served(engine) -> None:
    app = create_app(engine=engine)
    registry = app.extensions["instruments"].registry
    seen: list[float | None] = []

    @app.get("/probe")
    def probe() -> dict[str, bool]:
        seen.append(registry.get_sample_value("http_requests_in_progress"))
        return {"ok": True}

    client = app.test_client()
    assert client.get("/probe").status_code == 200
    assert seen == [1.0]
    assert registry.get_sample_value("http_requests_in_progress") == 0


def test_flask_rules_become_contract_templates() -> None:
    assert template_of("/predictions/<id>") == "/predictions/{id}"
    assert template_of("/a/<int:x>/<path:rest>") == "/a/{x}/{rest}"
    assert template_of("/health") == "/health"


def test_multiprocess_mode_reads_the_workers_files(tmp_path) -> None:
    instruments = Instruments(CONTRACT, multiprocess_dir=str(tmp_path))
    # In-process the values live in memory; the registry reads only the (empty) directory.
    instruments.finished("GET", "/health", 200, 0.01)
    assert b"http_requests_total" not in instruments.exposition().get_data()
