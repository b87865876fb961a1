"""Lab 10 self-check: the service's /metrics tells the truth, with bounded labels, and the
alerting rules pass their promtool unit tests.

Each test builds a fresh app around a fresh registry, sends a known mix of requests through
FastAPI's TestClient, scrapes /metrics and parses the exposition text with prometheus_client's
own parser, as Prometheus would read it.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lab10_service as lab
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

HERE = Path(__file__).resolve().parent
RULES_TEST = HERE / "lab10_rules_test.yml"
ROUTES = {"/health", "/predict", "/customers/{customer_id}/score", "unmatched"}

CUSTOMER: dict[str, Any] = {
    "customer_id": "C-1001",
    "female": 0,
    "senior_citizen": 0,
    "partner": 0,
    "dependents": 0,
    "tenure": 2,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "Fiber optic",
    "online_security": "No",
    "online_backup": "No",
    "device_protection": "No",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "Month-to-month",
    "paperless_billing": 1,
    "payment_method": "Electronic check",
    "monthly_charges": 80.0,
    "total_charges": 160.0,
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _customers() -> list[dict[str, Any]]:
    """Six valid customers: three likely churners, three loyal two-year customers."""
    out = []
    for i in range(6):
        customer = copy.deepcopy(CUSTOMER)
        customer["customer_id"] = f"C-{1000 + i}"
        if i % 2:
            customer.update(tenure=60 + i, contract="Two year", total_charges=4800.0)
        out.append(customer)
    return out


def _scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _sum(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= lbls)


def _label_values(samples: Samples, name: str, label: str) -> set[str]:
    return {dict(lbls)[label] for (n, lbls) in samples if n == name and label in dict(lbls)}


@pytest.fixture(scope="module")
def model() -> Any:
    return lab.load_model()


@pytest.fixture(scope="module")
def traffic(model: Any) -> tuple[Samples, str]:
    """A known mix of requests against a fresh app; returns the parsed scrape and its text."""
    registry = CollectorRegistry()
    with TestClient(lab.create_app(model, registry)) as client:
        for customer in _customers():
            assert client.post("/predict", json=customer).status_code == 200
        for field, value in (("contract", "Three year"), ("tenure", -1)):
            assert client.post("/predict", json={**CUSTOMER, field: value}).status_code == 422
        assert client.get("/health").status_code == 200
        assert client.get("/customers/C-1000/score").status_code == 200
        assert client.get("/customers/C-1001/score").status_code == 200
        assert client.get("/customers/C-9999/score").status_code == 404
        for i in range(5):  # a scanner: five distinct unknown paths
            assert client.get(f"/wp-admin/{i}.php").status_code == 404
        client.get("/metrics")  # scrapes must not count themselves
        return _scrape(client), client.get("/metrics").text


def test_requests_are_counted_by_route_template_and_status(traffic: tuple[Samples, str]) -> None:
    samples, _ = traffic
    name = "churn_http_requests_total"
    assert _sum(samples, name, method="POST", route="/predict", status="200") == 6
    assert _sum(samples, name, method="POST", route="/predict", status="422") == 2
    assert _sum(samples, name, route="/health", status="200") == 1
    assert _sum(samples, name, route="/customers/{customer_id}/score", status="200") == 2
    assert _sum(samples, name, route="/customers/{customer_id}/score", status="404") == 1
    assert _sum(samples, name, route="unmatched", status="404") == 5
    assert _sum(samples, name) == 17, "the scrapes of /metrics must not be counted"


def test_labels_stay_bounded(traffic: tuple[Samples, str]) -> None:
    samples, text = traffic
    routes = _label_values(samples, "churn_http_requests_total", "route")
    assert routes <= ROUTES, f"unexpected route labels (raw paths?): {routes - ROUTES}"
    for leaked in ("C-1000", "C-9999", "wp-admin"):
        assert leaked not in text, (
            f"{leaked!r} appears in /metrics: ids and raw paths are not labels"
        )


def test_latency_is_a_histogram_around_the_objective(traffic: tuple[Samples, str]) -> None:
    samples, _ = traffic
    name = "churn_http_request_duration_seconds"
    assert _sum(samples, f"{name}_count", route="/predict") == 8
    bounds = {
        float(dict(lbls)["le"])
        for (n, lbls) in samples
        if n == f"{name}_bucket" and dict(lbls).get("route") == "/predict"
    }
    assert 0.25 in bounds, f"put a bucket boundary at the 250 ms objective, got {sorted(bounds)}"
    assert len([b for b in bounds if b < 0.25]) >= 3, "too few buckets below the objective"
    assert _sum(samples, f"{name}_sum", route="/predict") > 0


def test_predictions_are_counted_by_outcome(traffic: tuple[Samples, str], model: Any) -> None:
    samples, _ = traffic
    name = "churn_predictions_total"
    assert _label_values(samples, name, "outcome") <= {"churn", "stay"}
    expected = [
        model.predict(lab.Customer(**c).model_dump(exclude={"customer_id"}))[0]
        for c in _customers()
    ]
    assert _sum(samples, name, outcome="churn") == sum(expected)
    assert _sum(samples, name, outcome="stay") == len(expected) - sum(expected)


def test_the_model_version_is_exposed(traffic: tuple[Samples, str], model: Any) -> None:
    samples, _ = traffic
    assert _sum(samples, "churn_model_info", version=model.version) == 1
    assert _label_values(samples, "churn_model_info", "version") == {model.version}


def test_each_app_starts_from_zero(model: Any) -> None:
    """Metrics live in the registry passed in, not in a global one (two apps never collide)."""
    for _ in range(2):
        with TestClient(lab.create_app(model, CollectorRegistry())) as client:
            client.post("/predict", json=CUSTOMER)
            assert _sum(_scrape(client), "churn_predictions_total") == 1


def _promtool(require_tool: Callable[[str], str], tmp_path: Path, *args: str) -> str:
    promtool = require_tool("promtool")  # Debian package "prometheus"
    shutil.copy(Path(lab.__file__).with_name("lab10_rules.yml"), tmp_path / "lab10_rules.yml")
    shutil.copy(RULES_TEST, tmp_path / RULES_TEST.name)
    done = subprocess.run(
        [promtool, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_accepts_the_rules(require_tool: Callable[[str], str], tmp_path: Path) -> None:
    _promtool(require_tool, tmp_path, "check", "rules", "lab10_rules.yml")


def test_the_alert_passes_its_unit_tests(
    require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    _promtool(require_tool, tmp_path, "test", "rules", RULES_TEST.name)
