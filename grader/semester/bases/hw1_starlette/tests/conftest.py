"""One application for the session (the lifespan reads the model once) and a sample customer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.main import build

SAMPLE: dict[str, Any] = {
    "customer_id": "7590-VHVEG",
    "female": 1,
    "senior_citizen": 0,
    "partner": 1,
    "dependents": 0,
    "tenure": 1,
    "phone_service": 0,
    "multiple_lines": "No phone service",
    "internet_service": "DSL",
    "online_security": "No",
    "online_backup": "Yes",
    "device_protection": "No",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "Month-to-month",
    "paperless_billing": 1,
    "payment_method": "Electronic check",
    "monthly_charges": 29.85,
    "total_charges": 29.85,
}


@pytest.fixture(scope="session")
def http() -> Iterator[TestClient]:
    with TestClient(build(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)
