from fastapi.testclient import TestClient

from app.main import create_app


def test_health_is_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_rejects_post(client: TestClient) -> None:
    assert client.post("/health").status_code == 405


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/model", "/predict", "/predict/batch"} <= set(paths)


def test_not_ready_until_the_model_is_loaded(customer: dict) -> None:
    # Without the context manager the lifespan does not run: no model is loaded.
    client = TestClient(create_app())
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"detail": "model not loaded"}
    assert client.post("/predict", json=customer).status_code == 503
    assert client.get("/model").status_code == 503


def test_not_ready_after_shutdown() -> None:
    app = create_app()
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
    assert TestClient(app).get("/health").status_code == 503
