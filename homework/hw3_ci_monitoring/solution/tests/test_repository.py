"""The data-access layer against a real PostgreSQL: ids, order, atomic batches, lookups."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from app.repository import MAX_ID, NewPrediction, PredictionRepository
from tests.conftest import CUSTOMER

FEATURES = {k: v for k, v in CUSTOMER.items() if k != "customer_id"}
PREDICTION = NewPrediction(
    customer_id="r-1",
    features=FEATURES,
    churn=False,
    churn_probability=0.125,
    model_version="1.0.0",
)


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM predictions")).scalar_one()


def test_add_returns_the_new_id_and_stores_every_field(repository: PredictionRepository) -> None:
    record_id = repository.add(PREDICTION)
    row = repository.get(record_id)
    assert row is not None
    assert (row.customer_id, row.churn, row.churn_probability, row.model_version) == (
        "r-1",
        False,
        0.125,
        "1.0.0",
    )
    assert row.features == FEATURES
    assert row.created_at.tzinfo is not None


def test_add_all_returns_ids_in_the_order_given(repository: PredictionRepository) -> None:
    batch = [replace(PREDICTION, customer_id=f"r-{i}", churn_probability=i / 10) for i in range(10)]
    ids = repository.add_all(batch)
    assert ids == sorted(ids) and len(set(ids)) == 10
    for record_id, sent in zip(ids, batch, strict=True):
        row = repository.get(record_id)
        assert row is not None and row.customer_id == sent.customer_id
        assert row.churn_probability == sent.churn_probability


def test_add_all_of_nothing_stores_nothing(
    repository: PredictionRepository, migrated_engine: Engine
) -> None:
    assert repository.add_all([]) == []
    assert count(migrated_engine) == 0


def test_a_batch_is_all_or_nothing(
    repository: PredictionRepository, migrated_engine: Engine
) -> None:
    """A row the database rejects (NOT NULL) rolls the whole batch back."""
    good = [replace(PREDICTION, customer_id=f"ok-{i}") for i in range(3)]
    bad = replace(PREDICTION, model_version=None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        repository.add_all([*good, bad])
    assert count(migrated_engine) == 0
    # The session is usable again after the failed batch.
    assert repository.add(PREDICTION) >= 1
    assert count(migrated_engine) == 1


def test_customer_id_longer_than_the_contract_is_rejected(
    repository: PredictionRepository,
) -> None:
    with pytest.raises(Exception, match="too long"):
        repository.add(replace(PREDICTION, customer_id="x" * 65))


@pytest.mark.parametrize("record_id", [0, -1, MAX_ID + 1, 10**40])
def test_get_of_an_impossible_id_is_none_without_a_query(
    repository: PredictionRepository, record_id: int
) -> None:
    assert repository.get(record_id) is None


def test_get_of_an_absent_id_is_none(repository: PredictionRepository) -> None:
    record_id = repository.add(PREDICTION)
    assert repository.get(record_id + 1) is None
    assert repository.get(MAX_ID) is None


def test_list_is_newest_first_with_ties_broken_by_id(
    repository: PredictionRepository, migrated_engine: Engine
) -> None:
    first = repository.add(replace(PREDICTION, customer_id="first"))
    tied = repository.add_all([replace(PREDICTION, customer_id=f"tied-{i}") for i in range(3)])
    last = repository.add(replace(PREDICTION, customer_id="last"))
    # Make the first record the newest by time: order follows created_at, not insertion.
    with migrated_engine.begin() as connection:
        connection.execute(
            text("UPDATE predictions SET created_at = now() + interval '1 hour' WHERE id = :id"),
            {"id": first},
        )
    rows = repository.list_newest_first(limit=10, offset=0)
    assert [r.id for r in rows] == [first, last, *sorted(tied, reverse=True)]


def test_list_pages_by_limit_and_offset(repository: PredictionRepository) -> None:
    ids = repository.add_all([replace(PREDICTION, customer_id=f"p-{i}") for i in range(7)])
    newest_first = sorted(ids, reverse=True)
    assert [r.id for r in repository.list_newest_first(limit=3, offset=0)] == newest_first[:3]
    assert [r.id for r in repository.list_newest_first(limit=3, offset=3)] == newest_first[3:6]
    assert [r.id for r in repository.list_newest_first(limit=3, offset=6)] == newest_first[6:]
    assert list(repository.list_newest_first(limit=3, offset=7)) == []
