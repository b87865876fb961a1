"""The prediction ledger: psycopg 3 with an asynchronous connection pool, SQL written out by hand.

Each method takes one pooled connection for one transaction. When the database is away, taking a
connection gives up after ``WAIT_S`` (``PoolTimeout``) and connecting after ``CONNECT_S``, so a
request fails fast and the app answers 503; the pool checks a connection before lending it and
keeps reconnecting in the background, so service resumes by itself once the database is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

WAIT_S = 3.0
CONNECT_S = 2
STATEMENT_MS = 5000
LARGEST_ID = 9_223_372_036_854_775_807  # bigint's largest value
UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)

INSERT = """
INSERT INTO predictions (customer_id, features, churn, churn_probability, model_version)
VALUES (%s, %s, %s, %s, %s)
RETURNING id
"""
COLUMNS = "id, created_at, customer_id, features, churn, churn_probability, model_version"
ONE = f"SELECT {COLUMNS} FROM predictions WHERE id = %s"
PAGE = f"SELECT {COLUMNS} FROM predictions ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"


@dataclass(frozen=True)
class Entry:
    """One answered prediction, as it is stored."""

    customer_id: str | None
    features: dict[str, Any]
    churn: bool
    churn_probability: float
    model_version: str


def libpq_address(url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy's form, the contract's) as libpq reads it."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("postgresql+psycopg", "postgresql", "postgres") or not rest:
        raise ValueError("DATABASE_URL must look like postgresql+psycopg://USER:PASSWORD@HOST/DB")
    return f"postgresql://{rest}"


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": row["created_at"].isoformat()}


class Ledger:
    """Stores and reads predictions through one pool per process."""

    def __init__(self, url: str, size: int = 8, wait_s: float = WAIT_S) -> None:
        self.pool = AsyncConnectionPool(
            libpq_address(url),
            min_size=1,
            max_size=size,
            timeout=wait_s,
            open=False,
            check=AsyncConnectionPool.check_connection,
            reconnect_timeout=3600,
            kwargs={
                "connect_timeout": CONNECT_S,
                "options": f"-c statement_timeout={STATEMENT_MS} -c timezone=UTC",
                "application_name": "churn-starlette",
            },
        )

    async def open(self) -> None:
        """Start the pool without waiting for a connection (the launcher already checked one)."""
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def alive(self) -> bool:
        """True when ``SELECT 1`` answers in time."""
        try:
            async with self.pool.connection() as connection:
                await connection.execute("SELECT 1")
        except UNREACHABLE:
            return False
        return True

    async def add(self, entries: Sequence[Entry]) -> list[int]:
        """Store every entry in one transaction; their ids, in order."""
        params = [
            (e.customer_id, Jsonb(e.features), e.churn, e.churn_probability, e.model_version)
            for e in entries
        ]
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            await cursor.executemany(INSERT, params, returning=True)
            ids = []
            while True:
                (record_id,) = await cursor.fetchone()
                ids.append(record_id)
                if not cursor.nextset():
                    break
        return ids

    async def one(self, record_id: int) -> dict[str, Any] | None:
        """The record with this id, or None (also for ids no bigint holds)."""
        if not 1 <= record_id <= LARGEST_ID:
            return None
        async with self.pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            row = await (await cursor.execute(ONE, (record_id,))).fetchone()
        return None if row is None else _record(row)

    async def newest(self, limit: int, offset: int) -> list[dict[str, Any]]:
        """One page, newest first, ties by the larger id."""
        async with self.pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            rows = await (await cursor.execute(PAGE, (limit, offset))).fetchall()
        return [_record(row) for row in rows]
