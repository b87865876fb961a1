"""Migrations: from an empty database to the contract's schema, repeatable, concurrent-safe, and
in agreement with the ORM models."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from app.config import Settings
from app.db import make_engine
from app.migrations import alembic_config, current_revision, head_revision, upgrade_to_head
from app.models import Base

CONTRACT = json.loads((Path(__file__).parent / "public" / "contract.json").read_text())
DATABASE = CONTRACT["database"]


def columns(engine: Engine) -> dict[str, tuple[str, bool]]:
    """information_schema's view of the predictions table: name -> (data_type, nullable)."""
    query = text(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = :table"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"table": DATABASE["table"]}).all()
    return {name: (data_type, nullable == "YES") for name, data_type, nullable in rows}


def test_an_empty_database_has_no_revision(fresh_database_url: str) -> None:
    engine = make_engine(Settings(database_url=fresh_database_url))
    try:
        assert current_revision(engine) is None
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_the_contract_schema(migrated_engine: Engine) -> None:
    assert current_revision(migrated_engine) == head_revision()
    found = columns(migrated_engine)
    assert set(found) == set(DATABASE["columns"])
    for name, spec in DATABASE["columns"].items():
        data_type, nullable = found[name]
        assert data_type in spec["data_type"], f"{name}: {data_type}"
        assert nullable is spec["nullable"], name


def test_the_listing_index_exists(migrated_engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(migrated_engine).get_indexes("predictions")}
    assert "ix_predictions_created_at_id" in indexes


def test_a_second_upgrade_changes_nothing(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO predictions (customer_id, features, churn, churn_probability, "
                "model_version) VALUES ('kept', '{}', true, 0.9, '1.0.0')"
            )
        )
    assert upgrade_to_head(migrated_engine) == head_revision()
    with migrated_engine.connect() as connection:
        kept = connection.execute(text("SELECT customer_id FROM predictions")).scalars().all()
    assert kept == ["kept"]


def test_concurrent_upgrades_from_empty_both_succeed(fresh_database_url: str) -> None:
    """Two replicas starting together: the advisory lock serialises them."""
    engine = make_engine(Settings(database_url=fresh_database_url))
    results: list[str | None] = []
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            results.append(upgrade_to_head(engine))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        assert results == [head_revision()] * 3
    finally:
        engine.dispose()


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    """What `alembic revision --autogenerate` would write now: nothing."""
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_empty_and_back(migrated_engine: Engine) -> None:
    config = alembic_config()
    with migrated_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "predictions" not in inspect(migrated_engine).get_table_names()
    assert current_revision(migrated_engine) is None
    upgrade_to_head(migrated_engine)
    assert set(columns(migrated_engine)) == set(DATABASE["columns"])


def test_there_is_one_linear_history() -> None:
    directory = ScriptDirectory.from_config(alembic_config())
    assert len(directory.get_heads()) == 1
    assert [rev.revision for rev in directory.walk_revisions()][-1] == "0001"
