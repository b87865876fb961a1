"""The predictions table (SQLAlchemy 2 ORM) and the engine that reaches it.

The engine gives up connecting after ``connect_timeout_s``, the server cancels statements after
``statement_timeout_ms``, and ``pool_pre_ping`` replaces connections a database restart broke:
a request during an outage fails fast (the app answers 503) and the next one after it succeeds.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Double, Engine, Identity, Index, String, create_engine
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import func

from app.settings import Settings

# What "the database is unavailable" looks like: no connection, a lost one, a full pool.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


class Base(DeclarativeBase):
    """Metadata of the service's tables (alembic compares migrations with it)."""


class StoredPrediction(Base):
    """One answered prediction: the features as asked, the answer as given."""

    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    customer_id: Mapped[str | None] = mapped_column(String(64))
    features: Mapped[dict[str, Any]] = mapped_column(JSONB)
    churn: Mapped[bool]
    churn_probability: Mapped[float] = mapped_column(Double)
    model_version: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("predictions_newest_first", created_at.desc(), id.desc()),)

    def as_record(self) -> dict[str, Any]:
        """The contract's PredictionRecord."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "customer_id": self.customer_id,
            "features": self.features,
            "churn": self.churn,
            "churn_probability": self.churn_probability,
            "model_version": self.model_version,
        }


def connect(settings: Settings) -> Engine:
    """A pooled engine with the timeouts above (connecting happens on first use)."""
    return create_engine(
        settings.database_url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_s,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.connect_timeout_s,
            "options": f"-c statement_timeout={settings.statement_timeout_ms} -c timezone=UTC",
            "application_name": "churn-flask",
        },
    )


def answers(engine: Engine) -> bool:
    """True when ``SELECT 1`` succeeds within the timeouts."""
    try:
        with engine.connect() as connection:
            connection.execute(sql("SELECT 1"))
    except DATABASE_DOWN:
        return False
    return True


def wait_until_answering(engine: Engine, timeout_s: float) -> bool:
    """Poll once a second until the database answers or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while not answers(engine):
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)
    return True
