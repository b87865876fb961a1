"""Load stage: an exclusive locust window, scored relative to the calibration service.

Its registry entry has ``lock = "exclusive"``: it holds the machine-wide exclusive lock during its
measurement windows (the calibration's and the submission's), so no other stage of any job runs then.
"""

from __future__ import annotations

import time

from grader.checks.holdout import load_holdout
from grader.grading.context import GradeContext
from grader.grading.job_service import NOT_STARTED, ensure_service
from grader.grading.locks import exclusive_load
from grader.load.calibration import measure_calibration
from grader.load.run import LoadProfile, run_load
from grader.rubric import Rubric

CHECKS = ("load.error_rate", "load.latency_p95", "load.throughput")


def profile_from(rubric: Rubric, load_seconds: float | None = None) -> LoadProfile:
    """The rubric's load profile, with the duration overridable by the CLI."""
    t = rubric.thresholds
    return LoadProfile(
        users=int(t["load_users"]),
        pacing_s=float(t["load_pacing_s"]),
        seconds=load_seconds or float(t["load_seconds"]),
        timeout_s=float(rubric.settings("load")["request_timeout_s"]),
    )


def run(ctx: GradeContext) -> None:
    """``load.error_rate``, ``load.latency_p95`` and ``load.throughput``."""
    wanted = [c for c in ctx.rubric.stage_checks("load") if ctx.wanted(c)]
    if not wanted:
        return
    if ctx.options.skip_load:
        ctx.skip_stage("load", "the load stage was disabled for this run (--skip-load)")
        return
    if not ensure_service(ctx):
        ctx.fail_stage("load", NOT_STARTED)
        return
    if ctx.endpoint_problems.get("predict"):
        ctx.fail_stage("load", f"not run: {ctx.endpoint_problems['predict']}")
        return
    t = ctx.thresholds
    customers = [row["customer"] for row in load_holdout(ctx.rubric.directory.parent)[:200]]
    profile = profile_from(ctx.rubric, ctx.options.load_seconds)
    ctx.progress("load: calibration service")
    calibration = measure_calibration(
        ctx.sandbox.isolation, profile, customers, reuse_cached=ctx.options.mode == "check"
    )
    if calibration.problem:
        ctx.skip_stage("load", calibration.problem)
        return
    ctx.calibration = {
        **calibration.as_dict(),
        "users": profile.users,
        "pacing_s": profile.pacing_s,
    }
    ctx.progress(f"load: {profile.users} users for {profile.seconds:g} s")
    with exclusive_load():
        started = time.monotonic()
        result = run_load(ctx.service.base_url, ctx.service.netns, customers, profile)
        ctx.stage_seconds["load"] = round(time.monotonic() - started, 3)
    if result.problem:
        ctx.skip_stage("load", result.problem)
        return
    exited = ctx.service.exit_report()
    if exited:  # a crash under load loses every load point, with the reason
        ctx.service_problem = exited
        ctx.fail_stage("load", f"during the load test, {exited}")
        return
    figures = (
        f"{result.requests} requests, {result.rps:.1f} RPS, error rate {result.error_rate:.2%}, "
        f"p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms (calibration: {calibration.rps:.1f} RPS, "
        f"p95 {calibration.p95_ms:.0f} ms)"
    )
    max_error = float(t["load_max_error_rate"])
    if result.error_rate <= max_error:
        ctx.passed("load.error_rate", figures, started=started)
    else:
        ctx.failed(
            "load.error_rate",
            f"{figures}\nMore than {max_error:.0%} of requests failed under load: "
            "look for exceptions, timeouts or a single blocking worker.",
            started=started,
        )
    if result.error_rate > max_error:
        # Fast failures are not speed: latency and throughput only count when requests succeed.
        reason = "not scored: too many requests failed under load (see load.error_rate)"
        ctx.failed("load.latency_p95", reason, started=started)
        ctx.failed("load.throughput", reason, started=started)
        return
    bound = min(
        float(t["load_p95_cap_ms"]),
        max(float(t["load_p95_floor_ms"]), float(t["load_p95_factor"]) * calibration.p95_ms),
    )
    if result.p95_ms <= bound:
        ctx.passed(
            "load.latency_p95", f"p95 {result.p95_ms:.0f} ms <= {bound:.0f} ms", started=started
        )
    else:
        ctx.failed(
            "load.latency_p95",
            f"p95 {result.p95_ms:.0f} ms exceeds the bound of {bound:.0f} ms "
            f"({float(t['load_p95_factor']):g}x the calibration p95, at least "
            f"{float(t['load_p95_floor_ms']):g} ms, at most {float(t['load_p95_cap_ms']):g} ms). "
            "Is the request path doing slow or blocking work?",
            started=started,
        )
    need = float(t["load_throughput_factor"]) * calibration.success_rps
    if result.success_rps >= need:
        ctx.passed(
            "load.throughput",
            f"{result.success_rps:.1f} successful RPS >= {need:.1f}",
            started=started,
        )
    else:
        ctx.failed(
            "load.throughput",
            f"{result.success_rps:.1f} successful RPS < {need:.1f} required "
            f"({float(t['load_throughput_factor']):g}x the calibration service)",
            started=started,
        )
