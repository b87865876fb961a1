"""Hidden stage: start the service, then run the black-box HTTP checks from the grader's process."""

from __future__ import annotations

import json
import time

import httpx

from grader.checks.api import API_CHECKS, ApiProbe
from grader.checks.holdout import load_holdout
from grader.grading.context import GradeContext
from grader.service import StartupError, start_service


def ensure_service(ctx: GradeContext) -> bool:
    """Start the service if it is not running (and healthy); record ``service.starts`` the first time."""
    if ctx.service is not None and ctx.service.process.alive() and ctx.service.healthy():
        return True
    if ctx.service is not None:
        ctx.service.process.stop()
        ctx.service = None
    started = time.monotonic()
    first = "service.starts" not in ctx.results
    if not ctx.installed or not ctx.commands.serve:
        reason = ctx.commands.problem or "the environment did not install (see install.environment)"
        if first:
            ctx.failed("service.starts", f"not started: {reason}", started=started)
        return False
    try:
        ctx.service = start_service(
            ctx.sandbox, ctx.commands.serve, float(ctx.thresholds["startup_timeout_s"])
        )
    except StartupError as exc:
        if first:
            feedback = str(exc) + (f"\nAlso: {ctx.train_problem}" if ctx.train_problem else "")
            ctx.failed("service.starts", feedback, started=started)
        return False
    if first:
        ctx.passed("service.starts", "GET /health answered 200", started=started)
    return True


def run_hidden(ctx: GradeContext) -> None:
    """``service.starts`` and every API check of the rubric that this mode runs."""
    ctx.progress("hidden: starting the service")
    if not ensure_service(ctx):
        ctx.fail_stage("hidden", "not run: the service did not start (see service.starts)")
        return
    wanted = [
        c.id for c in ctx.rubric.stage_checks("hidden") if ctx.wanted(c) and c.id in API_CHECKS
    ]
    cases = json.loads((ctx.rubric.directory / "cases.json").read_text())
    holdout = load_holdout(ctx.rubric.directory.parent)
    service = ctx.service

    def run_all() -> None:
        timeout = float(ctx.thresholds.get("request_timeout_s", 10))
        with httpx.Client(base_url=service.base_url, timeout=timeout) as client:
            probe = ApiProbe(client, ctx.contract, cases, holdout, ctx.thresholds)
            for check_id in wanted:
                ctx.progress(f"hidden: {check_id}")
                started = time.monotonic()
                probe.begin_check()
                verdict = API_CHECKS[check_id](probe)
                if verdict.passed:
                    ctx.passed(check_id, verdict.feedback, started=started)
                else:
                    ctx.failed(
                        check_id, verdict.feedback, fraction=verdict.fraction, started=started
                    )

    service.call(run_all)
    ctx.skip_stage("hidden", "no check implements this rubric item in this grader version")
