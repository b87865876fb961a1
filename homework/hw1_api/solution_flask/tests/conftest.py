"""Shared fixtures: one Flask app (model loaded once) and its test client."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.main import create_app
from tests.support import CUSTOMER


@pytest.fixture(scope="session")
def app() -> Flask:
    return create_app()


@pytest.fixture(scope="session")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def customer() -> dict[str, Any]:
    """A fresh, valid customer record that a test may modify."""
    return copy.deepcopy(CUSTOMER)
