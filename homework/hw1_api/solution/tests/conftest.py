"""Shared fixtures: one application (model loaded once) and a TestClient for the whole session."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent
MODEL_JSON = json.loads((ROOT / "model" / "model.json").read_text())
METRICS_JSON = json.loads((ROOT / "model" / "metrics.json").read_text())

# A real customer from data/train.csv (row 2), with a caller-side id.
CUSTOMER: dict[str, Any] = {
    "customer_id": "5575-GNVDE",
    "female": 0,
    "senior_citizen": 0,
    "partner": 0,
    "dependents": 0,
    "tenure": 34,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "DSL",
    "online_security": "Yes",
    "online_backup": "No",
    "device_protection": "Yes",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "One year",
    "paperless_billing": 0,
    "payment_method": "Mailed check",
    "monthly_charges": 56.95,
    "total_charges": 1889.5,
}


@pytest.fixture(scope="session")
def app() -> FastAPI:
    return create_app()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    # The context manager runs the lifespan, which loads the model.
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def customer() -> dict[str, Any]:
    """A fresh, valid customer record that a test may modify."""
    return copy.deepcopy(CUSTOMER)


@pytest.fixture
def artefact() -> dict[str, Any]:
    """A fresh copy of the committed model/model.json, for tests that break or tweak it."""
    return copy.deepcopy(MODEL_JSON)


@pytest.fixture
def metrics() -> dict[str, Any]:
    """A fresh copy of the committed model/metrics.json."""
    return copy.deepcopy(METRICS_JSON)
