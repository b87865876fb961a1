"""Monitoring stage (hw3): the submission's ``monitoring/`` against the real Prometheus tools.

Runs after the load test, on the job's running service. First what needs no server: ``promtool
check`` of the configuration and rules, the student's own rule tests, the grader's hidden rule
tests and the dashboard's layout. Then the grader starts the Debian ``prometheus`` under the job's
sandbox, inside its network namespace (where the service answers), with the student's job pointed
at the service, 1 s scrape and evaluation intervals and the student's rules; it sends the service a
small known mix of requests so that every metric family has series, and checks the target, every
rule and panel query, and finally stops the service and waits for ServiceDown. The service stays
stopped: a later stage that needs it starts it again (``ensure_service``).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from grader.checks.api import Verdict
from grader.checks.dashboard import check_layout, check_queries, load_dashboards
from grader.checks.monitoring_job import Workspace
from grader.checks.prometheus import (
    Inputs,
    check_config,
    check_hidden_rule_tests,
    check_rule_tests,
    check_rules_evaluate,
    check_service_down,
    check_target_up,
    exposed_metrics,
    live_config,
    load_inputs,
)
from grader.checks.suite_files import suite_json
from grader.grading.context import GradeContext
from grader.grading.job_service import NOT_STARTED, ensure_service
from grader.monitoring import prometheus as harness

CHECKS = (
    "prometheus.config",
    "prometheus.rule_tests",
    "prometheus.target_up",
    "prometheus.rules_evaluate",
    "prometheus.service_down",
    "prometheus.hidden_rule_tests",
    "dashboard.queries",
    "dashboard.layout",
)
# Checks that need the grader's Prometheus scraping the running service, in the order they run
# (service_down stops the service: last).
LIVE = (
    "prometheus.target_up",
    "prometheus.rules_evaluate",
    "dashboard.queries",
    "prometheus.service_down",
)
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def run(ctx: GradeContext) -> None:
    """Every monitoring check of the rubric that this mode runs."""
    ctx.progress("monitoring: promtool")
    wanted = [c.id for c in ctx.rubric.stage_checks("monitoring") if ctx.wanted(c)]
    binaries = harness.find_binaries()
    missing = [name for name in ("promtool", "prometheus") if getattr(binaries, name) is None]
    if missing:
        ctx.skip_stage(
            "monitoring",
            f"the grading machine has no {' and no '.join(missing)} (Debian package prometheus)",
        )
        return
    assert binaries.promtool is not None and binaries.prometheus is not None
    observability = ctx.contract["observability"]
    settings = ctx.settings("monitoring")
    submission = ctx.sandbox.src
    with Workspace(ctx.sandbox) as workspace, ThreadPoolExecutor(1) as background:
        workspace.copy_monitoring(submission / "monitoring")
        inputs = load_inputs(workspace, observability)
        pattern = str(observability["prometheus"]["dashboards"])
        dashboards, dashboard_problems = load_dashboards(workspace, pattern)
        live = [c for c in LIVE if c in wanted]
        server: harness.PrometheusServer | None = None
        starting: Future[str | None] | None = None
        reason: str | None = None
        if live:
            reason, server = _live_server(ctx, inputs, binaries.prometheus, settings)
        try:
            if server is not None:  # Prometheus starts while promtool runs
                starting = background.submit(_start, ctx, server, settings)
            promtool = binaries.promtool
            offline: dict[str, Callable[[], Verdict]] = {
                "prometheus.config": lambda: check_config(inputs, promtool),
                "prometheus.rule_tests": lambda: check_rule_tests(inputs, promtool),
                "prometheus.hidden_rule_tests": lambda: check_hidden_rule_tests(
                    inputs, promtool, ctx.rubric.directory / "rule_tests", submission
                ),
                "dashboard.layout": lambda: check_layout(
                    workspace, submission, observability, dashboards
                ),
            }
            for check_id in wanted:
                if check_id in offline:
                    _record(ctx, check_id, offline[check_id])
            if starting is not None:
                reason = starting.result()
            if reason is not None:
                for check_id in live:
                    ctx.failed(check_id, reason)
            elif server is not None:
                _live_checks(
                    ctx, live, inputs, server, settings, dashboards, dashboard_problems, pattern
                )
        finally:
            if server is not None:
                if starting is not None:
                    starting.exception()  # never stop a server that is still starting
                server.__exit__(None, None, None)


def _live_server(
    ctx: GradeContext, inputs: Inputs, binary: str, settings: dict[str, Any]
) -> tuple[str | None, harness.PrometheusServer | None]:
    """The grader's Prometheus for the running service (not started yet), or why there is none."""
    ctx.progress("monitoring: a real Prometheus")
    if not ensure_service(ctx):
        return NOT_STARTED, None
    if inputs.config is None:
        return f"not run: {inputs.config_problem}", None
    try:
        config_text = live_config(inputs, ctx.service.base_url.removeprefix("http://"))
    except KeyError:
        return f"not run: prometheus.yml has no scrape job named {inputs.job!r}", None
    server = harness.PrometheusServer(
        binary,
        config_text,
        inputs.workspace.root / "server",
        start_timeout=float(settings["prometheus_start_timeout_s"]),
        launcher=inputs.workspace,
    )
    return None, server


def _start(
    ctx: GradeContext, server: harness.PrometheusServer, settings: dict[str, Any]
) -> str | None:
    """Send the service the known mix, then start Prometheus; why it did not start, or None."""
    service = ctx.service
    timeout = float(settings["request_timeout_s"])
    customers = suite_json(ctx.rubric, ctx.contract, "cases.json")["valid_customers"][:5]
    service.call(lambda: _send_traffic(service.base_url, customers, timeout))
    try:
        server.__enter__()
    except RuntimeError:
        return "not run: Prometheus did not start with your job and rules:\n" + server.log()[-1500:]
    except TimeoutError as exc:
        return f"not run: {exc}"
    return None


def _live_checks(
    ctx: GradeContext,
    live: list[str],
    inputs: Inputs,
    server: harness.PrometheusServer,
    settings: dict[str, Any],
    dashboards: Any,
    dashboard_problems: list[str],
    pattern: str,
) -> None:
    up_timeout = float(settings["target_up_timeout_s"])
    up = check_target_up(server, inputs.job, up_timeout)
    if "prometheus.target_up" in live:
        _record(ctx, "prometheus.target_up", lambda: up)
    if not up.passed:
        for check_id in live:
            if check_id not in ctx.results:
                ctx.failed(check_id, "not run: Prometheus could not scrape your service "
                           "(see prometheus.target_up)")  # fmt: skip
        return
    # A service that exposes nothing of its own times out here; every name check then says so.
    with contextlib.suppress(TimeoutError):
        server.wait_for(lambda: exposed_metrics(server) - SYNTHETIC, timeout=up_timeout)
    exposed = exposed_metrics(server)
    if "prometheus.rules_evaluate" in live:
        _record(ctx, "prometheus.rules_evaluate",
                lambda: check_rules_evaluate(server, inputs, exposed))  # fmt: skip
    if "dashboard.queries" in live:
        _record(ctx, "dashboard.queries",
                lambda: check_queries(server, dashboards, dashboard_problems, exposed, pattern))  # fmt: skip
    if "prometheus.service_down" in live:
        alert = next(a["name"] for a in inputs.contract_alerts if a["name"] == "ServiceDown")

        def stop() -> None:
            ctx.service.process.stop()
            ctx.service = None  # a later stage that needs it starts it again

        timeout = float(settings["alert_timeout_s"])
        _record(ctx, "prometheus.service_down",
                lambda: check_service_down(server, stop, alert, timeout))  # fmt: skip


def _send_traffic(base_url: str, customers: list[dict[str, Any]], timeout: float) -> None:
    """A known small mix (valid, batch, invalid, unknown path) so every metric family has series."""
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        for customer in customers:
            client.post("/predict", json=customer)
        client.post("/predict/batch", json={"customers": customers[:3]})
        client.post("/predict", json={})
        client.get(f"/no-such-page-{uuid.uuid4().hex[:8]}")


def _record(ctx: GradeContext, check_id: str, check: Callable[[], Verdict]) -> None:
    """Run one check; a grader fault is that check's ``error``, the next checks still run."""
    ctx.progress(f"monitoring: {check_id}")
    started = time.monotonic()
    try:
        verdict = check()
    except Exception as exc:
        ctx.error(check_id, exc, started)
        return
    if verdict.passed:
        ctx.passed(check_id, verdict.feedback, started=started)
    else:
        ctx.failed(check_id, verdict.feedback, fraction=verdict.fraction, started=started)
