"""Every SQL statement of the service: store predictions, read one, read a page.

Each function is one transaction on its own session, so a batch is stored whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from app.db import StoredPrediction

LARGEST_ID = 2**63 - 1  # the id column is a bigint


def save(engine: Engine, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (column -> value) in one transaction; their ids, in order."""
    statement = insert(StoredPrediction).returning(
        StoredPrediction.id, sort_by_parameter_order=True
    )
    with Session(engine) as session, session.begin():
        return list(session.scalars(statement, list(rows)))


def find(engine: Engine, record_id: int) -> dict[str, Any] | None:
    """The record with this id, or None (ids outside the bigint range included)."""
    if not 1 <= record_id <= LARGEST_ID:
        return None
    with Session(engine) as session:
        row = session.get(StoredPrediction, record_id)
        return None if row is None else row.as_record()


def page(engine: Engine, limit: int, offset: int) -> list[dict[str, Any]]:
    """Newest first, ties by the larger id: a total order, so pages never overlap."""
    statement = (
        select(StoredPrediction)
        .order_by(StoredPrediction.created_at.desc(), StoredPrediction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with Session(engine) as session:
        return [row.as_record() for row in session.scalars(statement)]
