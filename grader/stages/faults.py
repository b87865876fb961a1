"""Faults stage: the grader stops the job's database under a steady load, starts it again, and
restarts the service under load: automatic, reproducible fault injection.

One scenario, three checks:

- ``faults.db_outage``: while the database is down, ``/ready`` answers 503, ``/health`` 200 and
  ``/predict`` a clean 503 within the request timeout (no 500, no hang), and the process lives.
- ``faults.db_recovery``: within ``recovery_bound_s`` of the database's return, ``/predict``
  answers 200 again and its record is stored, without a restart of the service.
- ``faults.restart_under_load``: the grader restarts the service while the load goes on; every
  request answered 200 is in the database (what was lost is counted and reported).

Timings are in the sandbox policy's ``[stages.faults]`` (a rubric may override them).
"""

from __future__ import annotations

import time

import httpx

from grader.checks.api import Verdict, _describe
from grader.checks.faults import SteadyLoad, describe_answers, judge_outage, wait_for_recovery
from grader.checks.suite_files import suite_json
from grader.grading.context import GradeContext
from grader.grading.job_service import ensure_service, restart_service

CHECKS = ("faults.db_outage", "faults.db_recovery", "faults.restart_under_load")


def run(ctx: GradeContext) -> None:
    """The fault scenario; records every wanted check of the stage."""
    if not ensure_service(ctx):
        ctx.fail_stage("faults", f"not run: {ctx.database_problem or ctx.service_problem}")
        return
    if ctx.database is None or not ctx.database.managed:
        ctx.skip_stage("faults", "the grader does not control this database (instructor's URL)")
        return
    if ctx.endpoint_problems.get("predict"):
        ctx.fail_stage("faults", f"not run: {ctx.endpoint_problems['predict']}")
        return
    table = ctx.contract["database"]["table"]
    if not ctx.database.query(f"SELECT to_regclass('public.{table}') IS NOT NULL")[0][0]:
        # A service that stores nothing has no database to lose: it earns nothing here.
        ctx.fail_stage("faults", f"not run: the service has no `{table}` table (see db.migrations)")
        return
    settings = ctx.settings("faults")
    timeout = float(settings["request_timeout_s"])
    cases = suite_json(ctx.rubric, ctx.contract, "cases.json")
    customers = [dict(c, customer_id=f"fault-{i}") for i, c in enumerate(cases["valid_customers"])]
    ctx.progress("faults: the database goes away under load")
    started = time.monotonic()
    ctx.service.call(lambda: _scenario(ctx, customers, timeout, settings))
    ctx.stage_seconds["faults_scenario"] = round(time.monotonic() - started, 3)


def _scenario(ctx: GradeContext, customers: list, timeout: float, settings: dict) -> None:
    db, service = ctx.database, ctx.service
    load = SteadyLoad(service.base_url, customers, timeout, users=int(settings["users"]))
    load.start()
    try:
        time.sleep(float(settings["steady_s"]))
        # --- the outage -------------------------------------------------------------------
        started = time.monotonic()
        db.stop()
        down = time.monotonic()
        time.sleep(float(settings["settle_s"]))
        judged_from = time.monotonic()
        probes: dict[str, list[httpx.Response | str]] = {"ready": [], "health": [], "predict": []}
        with httpx.Client(base_url=service.base_url, timeout=timeout) as client:
            until = judged_from + float(settings["outage_s"])
            while time.monotonic() < until:
                for name, method, path in (
                    ("ready", "GET", "/ready"),
                    ("health", "GET", "/health"),
                    ("predict", "POST", "/predict"),
                ):
                    try:
                        body = customers[0] if method == "POST" else None
                        probes[name].append(client.request(method, path, json=body))
                    except httpx.HTTPError as exc:
                        probes[name].append(f"no answer ({type(exc).__name__})")
                time.sleep(0.3)
        judged_to = time.monotonic()
        alive = service.process.alive()
        # Requests sent once the database was gone (a hanging one is "no answer" after the timeout).
        load.stop_after(judged_to + timeout + 1)
        verdict = judge_outage(load.between(down, judged_to), probes, timeout, alive)
        _record(ctx, "faults.db_outage", verdict, started)
        # --- the return -------------------------------------------------------------------
        started = time.monotonic()
        db.start()
        back = time.monotonic()
        bound = float(settings["recovery_bound_s"])
        ctx.progress(f"faults: database back after {back - down:.1f} s; waiting for the service")
        with httpx.Client(base_url=service.base_url, timeout=timeout) as client:

            def post() -> httpx.Response | str:
                try:
                    return client.post("/predict", json=customers[1])
                except httpx.HTTPError as exc:
                    return f"no answer ({type(exc).__name__})"

            def stored(record_id: object) -> bool:
                rows = db.query("SELECT count(*) FROM predictions WHERE id = %s", (record_id,))
                return bool(rows[0][0])

            seconds, last = wait_for_recovery(post, stored, bound)
            ready = client.get("/ready") if seconds is not None else None
        same_process = service is ctx.service and service.process.alive()
        if not same_process:
            verdict = Verdict(0.0, "the service process did not survive the outage")
        elif seconds is None:
            verdict = Verdict(
                0.0,
                f"within {bound:g} s of the database's return /predict did not store again (last: "
                f"{last}); a pool that replaces broken connections (pre-ping) recovers by itself",
            )
        elif ready is None or ready.status_code != 200:
            verdict = Verdict(
                0.5, f"stores again after {seconds:g} s, but GET /ready {_describe(ready or '')}"
            )
        else:
            verdict = Verdict(1.0, f"stores again {seconds:g} s after the database returned")
        _record(ctx, "faults.db_recovery", verdict, started)
    finally:
        if not db.running():
            db.start()
    # --- a restart under load ---------------------------------------------------------------
    started = time.monotonic()
    ctx.progress("faults: restarting the service under load")
    before = time.monotonic()
    time.sleep(float(settings["steady_s"]))
    came_back = restart_service(ctx)
    time.sleep(float(settings["steady_s"]))
    load.stop()
    answers = load.between(before, time.monotonic())
    acknowledged = [a.record_id for a in answers if a.status == 200 and a.record_id is not None]
    try:
        stored_ids = {
            int(r[0])
            for r in db.query(
                "SELECT id FROM predictions WHERE id = ANY(%s)",
                ([int(i) for i in acknowledged if isinstance(i, int)],),
            )
        }
    except Exception as exc:  # the student's table is unreadable
        _record(ctx, "faults.restart_under_load", Verdict(0.0, f"cannot read: {exc}"), started)
        return
    lost = [i for i in acknowledged if i not in stored_ids]
    text = (
        f"{len(answers)} requests around the restart: {describe_answers(answers)}; "
        f"{len(acknowledged)} acknowledged, {len(lost)} of them lost"
    )
    if not came_back:
        verdict = Verdict(0.0, f"{text}; the service did not come back: {ctx.service_problem}")
    elif lost or not acknowledged:
        verdict = Verdict(0.0, f"{text}: a 200 must mean the row is committed")
    else:
        verdict = Verdict(1.0, text)
    _record(ctx, "faults.restart_under_load", verdict, started)


def _record(ctx: GradeContext, check_id: str, verdict: Verdict, started: float) -> None:
    if not any(c.id == check_id and ctx.wanted(c) for c in ctx.rubric.checks):
        return
    if verdict.passed:
        ctx.passed(check_id, verdict.feedback, started=started)
    else:
        ctx.failed(check_id, verdict.feedback, fraction=verdict.fraction, started=started)
