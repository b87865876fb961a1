"""The job's service: started once per grading job, shared by the stages that need it.

``service.starts`` is recorded by the first stage that needs the service (the tests stage: the
public tests talk to a service too). A service that never became healthy is not started again by a
later stage: the start-up timeout is paid once per grading, and every dependent check says why it
did not run.
"""

from __future__ import annotations

import time

from grader.database import ensure_database
from grader.grading.context import GradeContext
from grader.service import StartupError, start_service

NOT_STARTED = "not run: the service did not start (see service.starts)"


def service_environment(ctx: GradeContext) -> dict[str, str]:
    """What the service's environment gets beyond the sandbox's: ``DATABASE_URL`` with a database."""
    return {"DATABASE_URL": ctx.database.url} if ctx.database is not None else {}


def restart_service(ctx: GradeContext) -> bool:
    """Stop the running service and start it again (the grader's restart); did it come back?"""
    if ctx.service is not None:
        ctx.service.process.stop()
        ctx.service = None
    return ensure_service(ctx)


def ensure_service(ctx: GradeContext) -> bool:
    """Start the service if it is not running; a failed start is tried once per grading job."""
    if ctx.service_problem is not None:
        return False
    # A busy service is not a dead one: a few probes before it is replaced.
    if (
        ctx.service is not None
        and ctx.service.process.alive()
        and any(ctx.service.healthy() for _ in range(3))
    ):
        return True
    if ctx.service is not None:
        ctx.service.process.stop()
        ctx.service = None
    started = time.monotonic()
    first = "service.starts" not in ctx.results
    if not ctx.installed or not ctx.commands.serve:
        reason = ctx.commands.problem or "the environment did not install (see install.environment)"
        ctx.service_problem = f"not started: {reason}"
    elif database_problem := ensure_database(ctx):
        ctx.service_problem = f"not started: {database_problem}"
    else:
        settings = ctx.settings("api")
        try:
            ctx.service = start_service(
                ctx.sandbox,
                ctx.commands.serve,
                float(settings["startup_timeout_s"]),
                wrong_port_grace=float(settings["wrong_port_grace_s"]),
                env_extra=service_environment(ctx),
                known_ports=frozenset({ctx.database.port} if ctx.database is not None else ()),
            )
        except StartupError as exc:
            also = f"\nAlso: {ctx.train_problem}" if ctx.train_problem else ""
            ctx.service_problem = str(exc) + also
    if ctx.service_problem is not None:
        if first:
            ctx.failed("service.starts", ctx.service_problem, started=started)
        return False
    if first:
        ctx.passed("service.starts", "GET /health answered 200", started=started)
    return True
