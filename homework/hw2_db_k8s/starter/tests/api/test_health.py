"""Example tests. Add your own for every endpoint, the storage and the migrations (task 7)."""

from fastapi.testclient import TestClient


def test_health_is_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_predict_still_works_as_in_hw1(client: TestClient) -> None:
    customer = {
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
    response = client.post("/predict", json=customer)
    assert response.status_code == 200
    assert response.json()["customer_id"] == "7590-VHVEG"


def test_openapi_lists_the_contract_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/ready", "/predict", "/predictions", "/predictions/{id}"} <= set(paths)
