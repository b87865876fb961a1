"""Shared fixtures: one application for the whole session and a TestClient to call it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app


@pytest.fixture(scope="session")
def app() -> FastAPI:
    return create_app()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    # The context manager runs the lifespan (where the model will be loaded).
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
