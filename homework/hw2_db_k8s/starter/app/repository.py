"""The data-access layer: every SQL statement of the service belongs here.

TODO(hw2, task 1): implement :class:`PredictionRepository`. Routers call it; they never build
queries themselves. A batch must be stored in **one transaction**: all rows or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


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
        """Store ``predictions`` in one transaction; return their ids, in the same order."""
        raise NotImplementedError("TODO(hw2, task 1): INSERT ... RETURNING id, then commit")

    def get(self, record_id: int) -> Any:
        """The stored prediction with this id, or None."""
        raise NotImplementedError("TODO(hw2, task 6): look one record up by id")

    def list_newest_first(self, limit: int, offset: int) -> Sequence[Any]:
        """One page of stored predictions: newest first, ties broken by id."""
        raise NotImplementedError("TODO(hw2, task 6): ORDER BY created_at DESC, id DESC")
