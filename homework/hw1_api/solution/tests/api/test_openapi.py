"""GET /openapi.json documents every answer a client can get, with its body's schema."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

ERROR_MESSAGE = {"$ref": "#/components/schemas/ErrorMessage"}


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def schema_of(responses: dict[str, Any], status: str) -> dict[str, Any]:
    return responses[status]["content"]["application/json"]["schema"]


def test_health_documents_503(document: dict) -> None:
    responses = document["paths"]["/health"]["get"]["responses"]
    assert set(responses) == {"200", "503"}
    assert schema_of(responses, "503") == ERROR_MESSAGE


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_predict_documents_its_error_answers(document: dict, path: str) -> None:
    responses = document["paths"][path]["post"]["responses"]
    assert set(responses) == {"200", "400", "413", "422"}
    assert schema_of(responses, "400") == ERROR_MESSAGE
    assert schema_of(responses, "413") == ERROR_MESSAGE
    assert schema_of(responses, "422") == {"$ref": "#/components/schemas/HTTPValidationError"}


def test_prediction_schema_bounds_the_probability(document: dict) -> None:
    probability = document["components"]["schemas"]["Prediction"]["properties"]["churn_probability"]
    assert (probability["minimum"], probability["maximum"]) == (0, 1)
