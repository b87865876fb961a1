"""Load stage: a stress test that finds the service's capacity, compared with the calibration service.

Its registry entry has ``lock = "exclusive"``: it holds the machine-wide exclusive lock during its
measurement windows (the calibration's and the submission's), so no other stage of any job runs then.

The rubric's ``[stages.load] calibration`` names the calibration service to compare with: ``plain``
(hw1, hw2) or ``instrumented`` (hw3: the same service with the metrics, request ids and JSON logs
hw3 requires, so instrumentation that costs no more than the usual middleware costs no points).

The schedule (steps of users without think time, step length, windows, bounds) and the ramp that
turns the capacity ratio into points are in the rubric's ``[thresholds]``:

- ``load.capacity``: points follow ``capacity / calibration capacity`` linearly from
  ``load_ratio_zero`` (nothing) to ``load_ratio_full`` (everything). Capacity is the highest
  successful request rate of a step whose error rate and p95 stay within the bounds; each service's
  is the best of its windows, so one window disturbed by other work on the machine does not decide.
- ``load.error_rate``: over the whole stress test at most ``load_max_error_rate`` of requests fail.
- ``load.rows`` (a service with a database): the grader counts the stored rows before and after
  the stress test; ``2xx <= rows added <= 2xx + requests the client abandoned`` (no answer, or
  still in flight when a window ended: at most one per user of a window's last step).

Both are lost if the service exits during the test or no longer answers ``/health`` after it.
"""

from __future__ import annotations

import dataclasses
import time

from grader.checks.holdout import load_holdout
from grader.grading.context import GradeContext
from grader.grading.job_service import NOT_STARTED, ensure_service
from grader.grading.locks import exclusive_load
from grader.load.calibration import calibration_variant, measure_calibration
from grader.load.run import Measurement, Schedule, measure
from grader.rubric import Rubric

CHECKS = ("load.capacity", "load.error_rate", "load.rows")


def schedule_from(rubric: Rubric, load_seconds: float | None = None) -> Schedule:
    """The rubric's schedule; ``load_seconds`` (a short test profile) sets one window's length.

    The short profile runs a single window per service: the corpus and the tests grade many
    services, and every window is exclusive.
    """
    t = rubric.thresholds
    users = tuple(int(u) for u in t["load_users_steps"])
    step = float(t["load_step_seconds"])
    windows = int(t["load_windows"])
    if load_seconds:
        step, windows = load_seconds / len(users), 1
    return Schedule(
        users=users,
        step_seconds=step,
        windows=windows,
        max_error_rate=float(t["load_max_error_rate"]),
        p95_bound_ms=float(t["load_p95_bound_ms"]),
        timeout_s=float(rubric.settings("load")["request_timeout_s"]),
    )


def capacity_fraction(ratio: float, zero: float, full: float) -> float:
    """The share of ``load.capacity`` points for a capacity ratio (linear ramp, clamped)."""
    return min(1.0, max(0.0, (ratio - zero) / (full - zero)))


def steps_text(measurement: Measurement) -> str:
    """The best window's steps, one line each, for feedback."""
    return "\n".join(
        f"  {s.users:>3} users: {s.rps:8.1f} RPS, p50 {s.p50_ms:6.1f} ms, p95 {s.p95_ms:7.1f} ms, "
        f"errors {s.error_rate:6.2%}{'' if s.qualifies else '  (over the bounds)'}"
        for s in measurement.best.steps
    )


def stored_rows(ctx: GradeContext) -> int | None:
    """Rows in the service's predictions table (None without a database or a readable table)."""
    if ctx.database is None:
        return None
    try:
        table = ctx.contract["database"]["table"]
        return int(ctx.database.query(f'SELECT count(*) FROM "{table}"')[0][0])
    except Exception:
        return None


def record_rows(
    ctx: GradeContext, result: Measurement, schedule: Schedule, before: int, started: float
) -> dict[str, int] | None:
    """``load.rows``: every 2xx stored once; beyond them only requests the client abandoned."""
    if not any(c.id == "load.rows" and ctx.wanted(c) for c in ctx.rubric.checks):
        return None
    after = stored_rows(ctx)
    if after is None:
        ctx.failed("load.rows", "after the stress test the predictions table could not be read")
        return None
    added, ok = after - before, result.answered_200
    abandoned = result.no_answer + max(schedule.users) * len(result.windows)
    text = (
        f"stress test: {ok} requests answered 200, {result.no_answer} got no answer; "
        f"{added} rows added (allowed: {ok} to {ok + abandoned})"
    )
    figures = {"added": added, "answered_200": ok, "abandoned_bound": abandoned}
    if ok <= added <= ok + abandoned:
        ctx.passed("load.rows", text, started=started)
    elif added < ok:
        ctx.failed("load.rows", f"{text}: {ok - added} acknowledged predictions were not stored")
    else:
        ctx.failed("load.rows", f"{text}: rows stored beyond what was answered (stored twice?)")
    return figures


def run(ctx: GradeContext) -> None:
    """``load.capacity``, ``load.error_rate`` and ``load.rows``."""
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
    schedule = schedule_from(ctx.rubric, ctx.options.load_seconds)
    if ctx.options.mode == "check":  # a self-check: one window each, the calibration from cache
        schedule = dataclasses.replace(schedule, windows=1)
    variant = calibration_variant(ctx.settings("load"))
    ctx.progress(f"load: calibration service ({variant})")
    calibration = measure_calibration(
        ctx.sandbox.isolation,
        schedule,
        customers,
        reuse_cached=ctx.options.mode == "check",
        variant=variant,
    )
    if calibration.problem or calibration.capacity <= 0:
        ctx.skip_stage("load", calibration.problem or "the calibration service had no capacity")
        return
    ctx.calibration = calibration.as_dict()
    ctx.progress(f"load: {schedule.windows} x {schedule.window_seconds:g} s stress test")
    rows_before = stored_rows(ctx)
    with exclusive_load():
        started = time.monotonic()
        result = measure(ctx.service.base_url, ctx.service.netns, customers, schedule)
        ctx.stage_seconds["load"] = round(time.monotonic() - started, 3)
    rows = (
        record_rows(ctx, result, schedule, rows_before, started)
        if rows_before is not None
        else None
    )
    if result.problem:
        ctx.skip_stage("load", result.problem)
        return
    ratio = round(result.capacity / calibration.capacity, 3)
    ctx.load = {
        "schedule": {"users": list(schedule.users), "step_seconds": schedule.step_seconds},
        "capacity_ratio": ratio,
        "calibration_variant": variant,
        "submission": result.as_dict(),
        "calibration": calibration.as_dict(),
        **({"rows": rows} if rows else {}),
    }
    exited = ctx.service.exit_report()
    if exited:  # a crash under load loses every load point, with the reason
        ctx.service_problem = exited
        ctx.fail_stage("load", f"during the stress test, {exited}")
        return
    if not ctx.service.healthy():
        ctx.fail_stage("load", "after the stress test GET /health no longer answered 200")
        return
    figures = (
        f"capacity {result.capacity:.1f} RPS vs the {variant} calibration service's "
        f"{calibration.capacity:.1f} RPS: ratio {ratio:.2f} (spread between windows: "
        f"{result.spread:.0%} yours, {calibration.spread:.0%} calibration)\n"
        f"Your best window (a step counts while errors <= {schedule.max_error_rate:.0%} and "
        f"p95 <= {schedule.p95_bound_ms:g} ms):\n{steps_text(result)}"
    )
    zero, full = float(t["load_ratio_zero"]), float(t["load_ratio_full"])
    fraction = capacity_fraction(ratio, zero, full)
    if fraction >= 1.0:
        ctx.passed("load.capacity", figures, started=started)
    else:
        ctx.failed(
            "load.capacity",
            f"{figures}\nPoints follow the ratio from {zero:g} (none) to {full:g} (all). Where does "
            "a request spend its time: per-request DataFrames, blocking calls, one worker?",
            fraction=fraction,
            started=started,
        )
    errors = sum(w.error_rate * w.requests for w in result.windows) / max(
        sum(w.requests for w in result.windows), 1
    )
    text = f"{errors:.2%} of {sum(w.requests for w in result.windows)} requests failed"
    if result.capacity <= 0:  # fast failures (or slow successes) are not a service under load
        ctx.failed(
            "load.error_rate",
            f"{text}; not scored: no step stayed within the bounds, so the service has no capacity "
            "(see load.capacity)",
            started=started,
        )
    elif errors <= schedule.max_error_rate:
        ctx.passed("load.error_rate", text, started=started)
    else:
        ctx.failed(
            "load.error_rate",
            f"{text} (at most {schedule.max_error_rate:.0%} may): look for exceptions, "
            "timeouts or a worker that blocks under concurrency.",
            started=started,
        )
