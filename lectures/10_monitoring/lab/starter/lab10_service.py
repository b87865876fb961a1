"""Lab 10: the churn service, to be instrumented for Prometheus.

The service scores customers with the hw1 reference model and its request schema (both loaded
from ``homework/hw1_api/solution``). ``create_app(model, registry)`` builds it around a given
model and a given metrics registry, so every test can start from zero.

TODO: add these metrics (the names and labels are the lab's contract, see the README):

* ``churn_http_requests_total{method, route, status}``: every request except the scrapes;
* ``churn_http_request_duration_seconds{route}``: latency, buckets around the 250 ms objective;
* ``churn_predictions_total{outcome}``: ``outcome`` is ``churn`` or ``stay``;
* ``churn_model_info{version}``: always 1; the label says which model is serving.

``route`` is the route *template* (``/customers/{customer_id}/score``), or ``unmatched`` when no
route matched, so neither customer ids nor a scanner's random paths create new time series.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

HW1 = next(
    parent / "homework" / "hw1_api" / "solution"
    for parent in Path(__file__).resolve().parents
    if (parent / "homework" / "hw1_api" / "solution").is_dir()
)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _load(name: str, path: Path) -> ModuleType:
    """Import one file of the hw1 reference by path, under a name unique to this lab."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


hw1_model = _load("lab10_hw1_model", HW1 / "app" / "model.py")
hw1_schemas = _load("lab10_hw1_schemas", HW1 / "app" / "schemas.py")
Customer = hw1_schemas.Customer


def load_model() -> Any:
    """The hw1 reference model (``model/model.json``)."""
    return hw1_model.ChurnModel.load(HW1 / "model" / "model.json", HW1 / "model" / "metrics.json")


def create_app(model: Any, registry: CollectorRegistry) -> FastAPI:
    """The churn service around ``model``, exposing ``registry`` on ``/metrics``."""
    app = FastAPI(title="churn service (lab 10)")
    last_scores: dict[str, float] = {}

    # TODO: create the four metrics in ``registry``, set churn_model_info, and add an HTTP
    #   middleware that counts and times every request except the scrapes of /metrics.

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model_version": model.version}

    @app.post("/predict")
    def predict(customer: Customer) -> dict[str, Any]:  # type: ignore[valid-type]
        features = customer.model_dump(exclude={"customer_id"})
        churn, probability = model.predict(features)
        # TODO: count the prediction by outcome
        if customer.customer_id is not None:
            last_scores[customer.customer_id] = probability
        return {
            "customer_id": customer.customer_id,
            "churn": churn,
            "churn_probability": probability,
            "model_version": model.version,
        }

    @app.get("/customers/{customer_id}/score")
    def last_score(customer_id: str) -> dict[str, Any]:
        if customer_id not in last_scores:
            raise HTTPException(status_code=404, detail=f"no score for {customer_id}")
        return {"customer_id": customer_id, "churn_probability": last_scores[customer_id]}

    return app
