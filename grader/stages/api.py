"""API stage: start the service, then run the black-box HTTP checks from the grader's process.

Each check is isolated: an exception inside one is that check's ``error`` (with the grader's file
and line) and the next checks still run. Two smoke probes (one valid customer to ``/predict`` and
to ``/predict/batch``) decide whether checks that need those endpoints can say anything; if not,
those checks fail with feedback beginning "not run:" and the reason.
"""

from __future__ import annotations

import time

import httpx

from grader.checks.api import API_CHECKS, ApiProbe, smoke_problem
from grader.checks.holdout import load_holdout
from grader.checks.suite_files import suite_json
from grader.grading.context import GradeContext
from grader.grading.job_service import NOT_STARTED, ensure_service

CHECKS = ("service.starts", *API_CHECKS)


def run(ctx: GradeContext) -> None:
    """``service.starts`` and every API check of the rubric that this mode runs."""
    ctx.progress("api: starting the service")
    if not ensure_service(ctx):
        ctx.fail_stage("api", NOT_STARTED)
        return
    wanted = [c.id for c in ctx.rubric.stage_checks("api") if ctx.wanted(c) and c.id in API_CHECKS]
    cases = suite_json(ctx.rubric, ctx.contract, "cases.json")
    holdout = load_holdout(ctx.rubric.directory.parent)
    service = ctx.service
    timeout = float(ctx.settings("api")["request_timeout_s"])

    def run_all() -> None:
        with httpx.Client(base_url=service.base_url, timeout=timeout) as client:
            probe = ApiProbe(client, ctx.contract, cases, holdout, ctx.thresholds, ctx.commit)
            for endpoint in ("predict", "batch"):
                probe.begin_check()  # a hanging /predict must not keep the batch probe unsent
                ctx.endpoint_problems[endpoint] = smoke_problem(probe, endpoint)
            for check_id in wanted:
                ctx.progress(f"api: {check_id}")
                started = time.monotonic()
                check = API_CHECKS[check_id]
                blocked = next(
                    (ctx.endpoint_problems[n] for n in check.needs if ctx.endpoint_problems[n]),
                    None,
                )
                if blocked:
                    ctx.failed(check_id, f"not run: {blocked}", started=started)
                    continue
                probe.begin_check()
                try:
                    verdict = check.run(probe)
                except Exception as exc:  # one check's fault must not end the stage
                    ctx.error(check_id, exc, started)
                    continue
                if verdict.passed:
                    ctx.passed(check_id, verdict.feedback, started=started)
                else:
                    ctx.failed(
                        check_id, verdict.feedback, fraction=verdict.fraction, started=started
                    )

    service.call(run_all)
    exited = service.exit_report()
    if exited:
        ctx.service_problem = exited
        ctx.fail_stage("api", f"not run: {exited}")
