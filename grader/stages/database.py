"""Database stage: what the service stores in the job's PostgreSQL, checked over HTTP and SQL.

Runs after the API stage, on the same service and database (the API checks' predictions are rows
too: the listing pages through them). Each check is isolated like the API stage's; the restart
check runs last because it replaces the service.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import psycopg

from grader.checks.api import ApiProbe, Verdict
from grader.checks.database import (
    DbProbe,
    check_atomic_batch,
    check_columns,
    check_listing,
    check_migrations,
    check_not_found,
    check_page_limits,
    check_rejected_store_nothing,
    check_restart,
    check_rows_match,
    check_stored_fields,
)
from grader.checks.holdout import load_holdout
from grader.checks.suite_files import suite_json
from grader.grading.context import GradeContext
from grader.grading.job_service import ensure_service, restart_service

CHECKS = (
    "db.migrations",
    "db.columns",
    "db.stored_fields",
    "db.listing",
    "db.page_limits",
    "db.not_found",
    "db.atomic_batch",
    "db.rejected_store_nothing",
    "db.rows_match",
    "db.restart",
)


def run(ctx: GradeContext) -> None:
    """Every database check of the rubric that this mode runs."""
    ctx.progress("database: checks")
    if not ensure_service(ctx):
        ctx.fail_stage("database", f"not run: {ctx.database_problem or ctx.service_problem}")
        return
    if ctx.database is None:
        ctx.fail_stage("database", "not run: this homework's contract has no database")
        return
    timeout = float(ctx.settings("api")["request_timeout_s"])
    cases = suite_json(ctx.rubric, ctx.contract, "cases.json")
    holdout = load_holdout(ctx.rubric.directory.parent)
    wanted = [c.id for c in ctx.rubric.stage_checks("database") if ctx.wanted(c)]

    def restart() -> str | None:
        return None if restart_service(ctx) else (ctx.service_problem or "it did not start")

    def run_checks() -> None:
        base_url = ctx.service.base_url
        with httpx.Client(base_url=base_url, timeout=timeout) as client:
            api = ApiProbe(client, ctx.contract, cases, holdout, ctx.thresholds, ctx.commit)
            probe = DbProbe(api, ctx.database)
            runners: dict[str, Callable[[], Verdict]] = {
                "db.migrations": lambda: check_migrations(probe),
                "db.columns": lambda: check_columns(probe),
                "db.stored_fields": lambda: check_stored_fields(probe),
                "db.listing": lambda: check_listing(probe),
                "db.page_limits": lambda: check_page_limits(probe),
                "db.not_found": lambda: check_not_found(probe),
                "db.atomic_batch": lambda: check_atomic_batch(probe),
                "db.rejected_store_nothing": lambda: check_rejected_store_nothing(probe),
                "db.rows_match": lambda: check_rows_match(probe, base_url, timeout),
            }
            for check_id in wanted:
                if check_id in runners:
                    _record(ctx, check_id, runners[check_id])
        if "db.restart" in wanted:
            # The restart starts a new service process: a fresh client afterwards.
            with httpx.Client(base_url=base_url, timeout=timeout) as client:
                api = ApiProbe(client, ctx.contract, cases, holdout, ctx.thresholds, ctx.commit)
                probe = DbProbe(api, ctx.database)
                _record(ctx, "db.restart", lambda: check_restart(probe, restart))

    ctx.service.call(run_checks)
    if ctx.service is not None and (exited := ctx.service.exit_report()):
        ctx.service_problem = exited
        ctx.fail_stage("database", f"not run: {exited}")


def _record(ctx: GradeContext, check_id: str, check: Callable[[], Verdict]) -> None:
    """Run one check; a grader fault is that check's ``error``, the next checks still run."""
    ctx.progress(f"database: {check_id}")
    started = time.monotonic()
    try:
        verdict = check()
    except psycopg.Error as exc:  # the student's schema, not the grader, is what broke the query
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        ctx.failed(check_id, f"the grader could not read your table: {message}", started=started)
        return
    except Exception as exc:
        ctx.error(check_id, exc, started)
        return
    if verdict.passed:
        ctx.passed(check_id, verdict.feedback, started=started)
    else:
        ctx.failed(check_id, verdict.feedback, fraction=verdict.fraction, started=started)
