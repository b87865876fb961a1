"""The database schema as SQLAlchemy ORM classes.

TODO(hw2, task 2): describe the ``predictions`` table of the contract
(``tests/public/contract.json``, key ``database``): ``id`` (bigint, generated), ``created_at``
(timestamp with time zone, set by the database), ``customer_id`` (nullable), ``features`` (jsonb:
the 19 features as received), ``churn``, ``churn_probability``, ``model_version``. Think about
the index that ``GET /predictions`` (newest first, ties by id) needs.

This module describes the tables; it must not create them. Only the migrations in
``migrations/versions/`` create or change the schema (``alembic revision --autogenerate``
compares this module with the database and writes a first draft of a migration for you).
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Base class of every table (``migrations/env.py`` reads ``Base.metadata``)."""


# TODO(hw2, task 2): class PredictionRow(Base): __tablename__ = "predictions" ...
