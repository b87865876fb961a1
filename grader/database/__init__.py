"""Per-job PostgreSQL for homework whose contract has a database (hw2 on).

:func:`ensure_database` puts a :class:`JobDatabase` on the grading context the first time a stage
needs the service (the service cannot start without ``DATABASE_URL``); hw1's contract has no
database, so hw1 grading never starts one.
"""

from __future__ import annotations

import time

from grader.database.server import DatabaseError, JobDatabase, ServerConfig

__all__ = ["DatabaseError", "JobDatabase", "ensure_database", "wants_database"]


def wants_database(contract: dict) -> bool:
    """Does the homework's service need a database (its contract has a ``database`` section)?"""
    return bool(contract.get("database"))


def ensure_database(ctx) -> str | None:  # ctx: GradeContext (import cycle)
    """Start the job's database once (or adopt the instructor's URL); why it is missing, or None."""
    if not wants_database(ctx.contract):
        return None
    if ctx.database is not None:
        return None
    if ctx.database_problem is not None:
        return ctx.database_problem
    if ctx.options.database_url:
        ctx.database = JobDatabase.external(ctx.options.database_url)
        return None
    ctx.progress("database: starting the job's PostgreSQL")
    started = time.monotonic()
    try:
        ctx.database = JobDatabase.create(
            ctx.sandbox, ServerConfig.from_policy(ctx.sandbox.policy.database)
        )
    except (DatabaseError, OSError) as exc:
        ctx.database_problem = f"the grader could not start the job's database: {exc}"
        return ctx.database_problem
    ctx.stage_seconds["database_start"] = round(time.monotonic() - started, 3)
    return None
