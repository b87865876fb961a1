"""Routes kept from hw1, the migrations, the database outage and the serve command's settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import connect, wait_until_answering
from app.main import create_app
from app.model import MODEL_PATH, ChurnModel
from app.schema import revision, upgrade
from app.settings import Settings, SettingsError, normalise_url

ROOT = Path(__file__).resolve().parents[1]


def test_health_ready_and_model(client) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}
    assert client.get("/ready").get_json() == {"status": "ok"}
    card = client.get("/model").get_json()
    assert len(card["features"]) == 19 and 0.8 < card["metrics"]["roc_auc"] < 0.9


def test_openapi_documents_the_new_routes(client) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"/ready", "/predictions", "/predictions/{id}"} <= set(paths)
    names = {p["name"] for p in paths["/predictions"]["get"]["parameters"]}
    assert names == {"limit", "offset"}


def test_oversized_bodies_are_413_and_store_nothing(client, rows) -> None:
    reply = client.post(
        "/predict/batch", data=b" " * (9 * 1024 * 1024), content_type="application/json"
    )
    assert reply.status_code == 413 and rows() == 0


def test_migrations_build_the_schema_once(postgres) -> None:
    engine = connect(Settings(database_url=postgres.new_database("fresh")))
    try:
        assert revision(engine) is None
        first = upgrade(engine)
        assert first is not None and upgrade(engine) == first
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
            columns = dict(
                connection.execute(
                    text(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = 'predictions'"
                    )
                ).all()
            )
        assert versions == 1
        assert columns["features"] == "jsonb" and columns["id"] == "bigint"
        assert columns["created_at"] == "timestamp with time zone"
    finally:
        engine.dispose()


def test_an_outage_is_503_and_the_service_recovers(postgres, customer) -> None:
    engine = connect(Settings(database_url=postgres.new_database("outage"), connect_timeout_s=2))
    upgrade(engine)
    client = create_app(engine=engine).test_client()
    assert client.post("/predict", json=customer).status_code == 200
    postgres.stop()
    try:
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200
        down = client.post("/predict", json=customer)
        assert down.status_code == 503 and down.headers["Retry-After"] == "2"
        assert client.get("/predictions").status_code == 503
        assert client.post("/predict", json={"tenure": 1}).status_code == 422
    finally:
        postgres.start()
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json=customer).get_json()["id"] == 2
    engine.dispose()


def test_settings_accept_the_plain_scheme_and_refuse_others() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(SettingsError, match="postgresql\\+psycopg"):
        normalise_url("mysql://u@h/db")
    with pytest.raises(SettingsError, match="must look like"):
        normalise_url("u@h/db")
    with pytest.raises(SettingsError, match="DATABASE_URL is not set"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="CHURN_DB_POOL_SIZE"):
        Settings.from_env({"DATABASE_URL": "postgresql://h/db", "CHURN_DB_POOL_SIZE": "many"})


def test_serve_without_a_database_url_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.serve", "--port", "9"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: DATABASE_URL is not set")
    assert "Traceback" not in done.stderr


def test_numeric_settings_accept_their_lower_bound_and_refuse_below() -> None:
    url = {"DATABASE_URL": "postgresql://h/db"}
    assert Settings.from_env(url | {"CHURN_DB_POOL_SIZE": "1"}).pool_size == 1
    assert Settings.from_env(url | {"CHURN_DB_MAX_OVERFLOW": "0"}).max_overflow == 0
    with pytest.raises(SettingsError, match="CHURN_DB_POOL_SIZE must be at least 1"):
        Settings.from_env(url | {"CHURN_DB_POOL_SIZE": "0"})
    assert Settings.from_env(url | {"CHURN_MIGRATE_ON_START": "no"}).migrate_on_start is False


def test_openapi_marks_what_is_required_and_how_metrics_are_served(client) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    assert paths["/predict"]["post"]["requestBody"]["required"] is True
    [record_id] = paths["/predictions/{id}"]["get"]["parameters"]
    assert (record_id["in"], record_id["required"]) == ("path", True)
    limit = paths["/predictions"]["get"]["parameters"][0]
    assert (limit["name"], limit["required"]) == ("limit", False)
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    assert "/openapi.json" in client.get("/docs").get_data(as_text=True)


def test_a_model_without_a_contract_feature_does_not_start(engine) -> None:
    params = json.loads(MODEL_PATH.read_text())
    params["features"] = [f for f in params["features"] if f != "tenure"]
    with pytest.raises(RuntimeError, match="tenure"):
        create_app(model=ChurnModel(params), engine=engine)


def test_waiting_for_a_database_that_never_answers_gives_up(tmp_path) -> None:
    url = f"postgresql+psycopg://nobody@/none?host={tmp_path}"
    engine = connect(Settings(database_url=url, connect_timeout_s=1))
    try:
        assert wait_until_answering(engine, 0) is False
    finally:
        engine.dispose()
