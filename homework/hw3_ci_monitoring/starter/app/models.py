"""The database schema as SQLAlchemy ORM classes.

This describes the tables; it does not create them. Only the migrations in ``migrations/``
create or change the schema (``alembic revision --autogenerate`` compares the two, and
``tests/test_migrations.py`` fails if they drift apart).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Double, Identity, Index, MetaData, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint and index names fixed by convention, so migrations name them predictably.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PredictionRow(Base):
    """One stored prediction (table ``predictions``, read by the grader: see the contract)."""

    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    features: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    churn: Mapped[bool] = mapped_column(nullable=False)
    churn_probability: Mapped[float] = mapped_column(Double, nullable=False)
    model_version: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (
        # GET /predictions reads newest first, ties by id: this index serves that order.
        Index("ix_predictions_created_at_id", created_at.desc(), id.desc()),
    )
