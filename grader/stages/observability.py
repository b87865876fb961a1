"""Observability stage: metrics and logs of the running service, before any Prometheus scrapes it.

Runs after the database stage, on the same service. The grader is the service's only client, so
between two scrapes of ``/metrics`` the counters move by exactly what the grader sent, and the
output written meanwhile is the lines of the grader's requests. Each check sends its own requests
and is isolated like the API stage's checks: a fault in one is that check's ``error``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from grader.checks.api import Verdict
from grader.checks.logs import check_log_lines, check_request_ids
from grader.checks.metrics import (
    check_cardinality,
    check_counters,
    check_exposition,
    check_histograms,
    check_predictions,
)
from grader.checks.request_mix import ObsProbe
from grader.checks.suite_files import suite_json
from grader.grading.context import GradeContext
from grader.grading.job_service import NOT_STARTED, ensure_service

RUNNERS: dict[str, Callable[[ObsProbe], Verdict]] = {
    "metrics.exposition": check_exposition,
    "metrics.counters": check_counters,
    "metrics.histograms": check_histograms,
    "metrics.predictions": check_predictions,
    "metrics.cardinality": check_cardinality,
    "logs.json": check_log_lines,
    "logs.request_id": check_request_ids,
}
CHECKS = tuple(RUNNERS)


def run(ctx: GradeContext) -> None:
    """Every metrics and log check of the rubric that this mode runs."""
    ctx.progress("observability: checks")
    if not ensure_service(ctx):
        ctx.fail_stage("observability", NOT_STARTED)
        return
    settings = ctx.settings("observability")
    cases = suite_json(ctx.rubric, ctx.contract, "cases.json")
    wanted = [c.id for c in ctx.rubric.stage_checks("observability") if ctx.wanted(c)]
    service = ctx.service

    def run_checks() -> None:
        timeout = float(settings["request_timeout_s"])
        with httpx.Client(base_url=service.base_url, timeout=timeout) as client:
            probe = ObsProbe(
                client, ctx.contract, cases, settings, service.process.output, ctx.commit
            )
            for check_id in wanted:
                probe.begin_check()
                _record(ctx, check_id, RUNNERS[check_id], probe)

    service.call(run_checks)
    if exited := service.exit_report():
        ctx.service_problem = exited
        ctx.fail_stage("observability", f"not run: {exited}")


def _record(
    ctx: GradeContext, check_id: str, check: Callable[[ObsProbe], Verdict], probe: ObsProbe
) -> None:
    """Run one check; a grader fault is that check's ``error``, the next checks still run."""
    ctx.progress(f"observability: {check_id}")
    started = time.monotonic()
    try:
        verdict = check(probe)
    except Exception as exc:
        ctx.error(check_id, exc, started)
        return
    if verdict.passed:
        ctx.passed(check_id, verdict.feedback, started=started)
    else:
        ctx.failed(check_id, verdict.feedback, fraction=verdict.fraction, started=started)
