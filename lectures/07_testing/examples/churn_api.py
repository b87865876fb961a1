"""A minimal churn prediction service (the hw1 shape), written to be tested with TestClient.

The app is built by a factory, ``create_app(model)``, so a test can hand it any model: the
real pipeline, a deliberately broken one, or a stub. Nothing here opens a socket; ``main``
drives the app in-process through FastAPI's TestClient.

    uv run python lectures/07_testing/examples/churn_api.py
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

MODEL_VERSION = "0.7.0"


def _sibling(name: str) -> ModuleType:
    """Import ``name``.py from this folder by path (works without packages or sys.path)."""
    key = f"lecture07_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


churn_checks = _sibling("churn_checks")
churn_rules = _sibling("churn_rules")
THRESHOLD_ENV = churn_rules.THRESHOLD_ENV

YesNoInternet = Literal["No", "No internet service", "Yes"]


class Customer(BaseModel):
    """One customer's features; unknown fields are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    female: Literal[0, 1]
    senior_citizen: Literal[0, 1]
    partner: Literal[0, 1]
    dependents: Literal[0, 1]
    tenure: int = Field(ge=0, le=120)
    phone_service: Literal[0, 1]
    multiple_lines: Literal["No", "No phone service", "Yes"]
    internet_service: Literal["DSL", "Fiber optic", "No"]
    online_security: YesNoInternet
    online_backup: YesNoInternet
    device_protection: YesNoInternet
    tech_support: YesNoInternet
    streaming_tv: YesNoInternet
    streaming_movies: YesNoInternet
    contract: Literal["Month-to-month", "One year", "Two year"]
    paperless_billing: Literal[0, 1]
    payment_method: Literal[
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ]
    monthly_charges: float = Field(ge=0, le=1000)
    total_charges: float | None = Field(default=..., ge=0)


class Prediction(BaseModel):
    """The response: the echoed id, the decision, the probability and the model version."""

    customer_id: str | None
    churn: bool
    churn_probability: float
    model_version: str


def create_app(model: Any, model_version: str = MODEL_VERSION) -> FastAPI:
    """Build the service around an already trained ``model``.

    The decision threshold is read from ``CHURN_THRESHOLD`` (default 0.5) when the app is
    created, so tests can change it with ``monkeypatch.setenv``.
    """
    threshold = churn_rules.threshold_from_env(os.environ)
    app = FastAPI(title="churn-service (lecture 7)", version=model_version)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/predict", response_model=Prediction)
    def predict(customer: Customer) -> Prediction:
        payload = customer.model_dump()
        probability = float(churn_checks.predict_proba(model, [payload])[0])
        return Prediction(
            customer_id=customer.customer_id,
            churn=churn_rules.is_churner(probability, threshold),
            churn_probability=probability,
            model_version=model_version,
        )

    return app


def main() -> None:
    """Train the model, then call the app in-process and print what a client would see."""
    with warnings.catch_warnings():
        # Starlette >= 1.0 nags about the httpx backend; it still works, so keep output clean.
        warnings.filterwarnings("ignore", message="Using `httpx` with")
        from fastapi.testclient import TestClient

    train, _ = churn_checks.split(churn_checks.load_data())
    client = TestClient(create_app(churn_checks.train_model(train)))
    print("GET /health ->", client.get("/health").json())
    body = {"customer_id": "C-demo-1", **churn_checks.at_risk_customer()}
    response = client.post("/predict", json=body)
    print("POST /predict ->", response.status_code, response.json())
    bad = {**body, "contract": "Three year"}
    response = client.post("/predict", json=bad)
    print("POST /predict (contract='Three year') ->", response.status_code)
    print("  first error loc:", response.json()["detail"][0]["loc"])


if __name__ == "__main__":  # pragma: no cover
    main()
