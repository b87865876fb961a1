"""GET /health (liveness), GET /ready (readiness), /docs and /openapi.json."""

from fastapi.testclient import TestClient


def test_health_is_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_ok_while_the_database_answers(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_rejects_post(client: TestClient) -> None:
    assert client.post("/health").status_code == 405
    assert client.post("/ready").status_code == 405


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    expected = {"/health", "/ready", "/model", "/predict", "/predict/batch", "/predictions"}
    assert expected | {"/predictions/{id}"} <= set(paths)


def test_openapi_documents_the_503_and_404_answers(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "503" in paths["/predict"]["post"]["responses"]
    assert "503" in paths["/ready"]["get"]["responses"]
    assert "503" in paths["/health"]["get"]["responses"], "model not loaded"
    assert "404" in paths["/predictions/{id}"]["get"]["responses"]
    for path in ("/predictions", "/predictions/{id}"):
        assert "503" in paths[path]["get"]["responses"], f"{path}: the database may be down"
    parameters = {p["name"]: p for p in paths["/predictions"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["limit"]["schema"]["default"] == 50
    assert parameters["offset"]["schema"]["minimum"] == 0
