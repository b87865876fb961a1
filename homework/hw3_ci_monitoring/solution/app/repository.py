"""The data-access layer: every SQL statement of the service lives here.

Routers call :class:`PredictionRepository`; they never build queries themselves. Each method is
its own transaction: :meth:`PredictionRepository.add_all` stores a whole batch or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models import PredictionRow

# The id column is a PostgreSQL bigint: larger (or non-positive) ids cannot exist.
MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class NewPrediction:
    """A prediction to store: the customer's features and the model's answer."""

    customer_id: str | None
    features: dict[str, Any]
    churn: bool
    churn_probability: float
    model_version: str


class PredictionRepository:
    """Stores and reads predictions through one SQLAlchemy session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, predictions: Sequence[NewPrediction]) -> list[int]:
        """Store ``predictions`` in one transaction; their ids, in the same order.

        One multi-row ``INSERT ... RETURNING id`` per chunk (SQLAlchemy's "insertmanyvalues"),
        with the ids matched to the rows by parameter order. Any error rolls the whole batch back.
        """
        if not predictions:
            return []
        statement = insert(PredictionRow).returning(PredictionRow.id, sort_by_parameter_order=True)
        try:
            ids = list(self.session.scalars(statement, [asdict(p) for p in predictions]))
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        return ids

    def add(self, prediction: NewPrediction) -> int:
        """Store one prediction; its id."""
        [record_id] = self.add_all([prediction])
        return record_id

    def get(self, record_id: int) -> PredictionRow | None:
        """The prediction with this id, or None (also for ids no bigint can hold)."""
        if not 1 <= record_id <= MAX_ID:
            return None
        return self.session.get(PredictionRow, record_id)

    def list_newest_first(self, limit: int, offset: int) -> Sequence[PredictionRow]:
        """One page: newest first, ties broken by the larger id first (a total, stable order)."""
        statement = (
            select(PredictionRow)
            .order_by(PredictionRow.created_at.desc(), PredictionRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return self.session.scalars(statement).all()
