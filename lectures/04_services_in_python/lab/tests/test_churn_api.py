"""Self-check for lab 4: strict input and an /explain endpoint, through FastAPI's TestClient."""

from __future__ import annotations

import math
from typing import Any

import churn_api
import pytest
from fastapi.testclient import TestClient

CUSTOMER: dict[str, Any] = {
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
FEATURES = set(CUSTOMER) - {"customer_id"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(churn_api.app)


def error_locations(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


def test_predict_answers_a_probability(client: TestClient) -> None:
    response = client.post("/predict", json=CUSTOMER)
    assert response.status_code == 200, response.text
    assert 0.5 < response.json()["churn_probability"] < 1  # a new month-to-month customer


def test_negative_tenure_is_a_422_naming_the_field(client: TestClient) -> None:
    assert ["body", "tenure"] in error_locations(
        client.post("/predict", json={**CUSTOMER, "tenure": -1})
    )


def test_an_unknown_field_is_a_422_naming_it(client: TestClient) -> None:
    response = client.post("/predict", json={**CUSTOMER, "gender": "female"})
    assert ["body", "gender"] in error_locations(response)


def test_explain_returns_the_top_three_by_size(client: TestClient) -> None:
    response = client.post("/explain", json=CUSTOMER)
    assert response.status_code == 200, response.text
    body = response.json()
    sizes = [abs(item["contribution"]) for item in body["contributions"]]
    assert len(sizes) == 3
    assert sizes == sorted(sizes, reverse=True)
    assert {item["feature"] for item in body["contributions"]} <= FEATURES
    for item in body["contributions"]:
        assert item["value"] == CUSTOMER[item["feature"]]


def test_all_contributions_add_up_to_the_log_odds(client: TestClient) -> None:
    body = client.post("/explain", params={"top": 19}, json=CUSTOMER).json()
    assert {item["feature"] for item in body["contributions"]} == FEATURES
    log_odds = body["intercept"] + sum(item["contribution"] for item in body["contributions"])
    assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(body["churn_probability"], abs=1e-9)
    predicted = client.post("/predict", json=CUSTOMER).json()["churn_probability"]
    assert body["churn_probability"] == pytest.approx(predicted, abs=1e-9)


@pytest.mark.parametrize("top", [0, 20, "three"])
def test_a_bad_top_is_a_422_naming_the_query_parameter(client: TestClient, top: object) -> None:
    response = client.post("/explain", params={"top": top}, json=CUSTOMER)
    assert ["query", "top"] in error_locations(response)


def test_explain_validates_the_customer_too(client: TestClient) -> None:
    customer = {key: value for key, value in CUSTOMER.items() if key != "contract"}
    assert ["body", "contract"] in error_locations(client.post("/explain", json=customer))


def test_openapi_documents_explain_and_its_response(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/explain"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Explanation"}
    assert any(parameter["name"] == "top" for parameter in operation["parameters"])
