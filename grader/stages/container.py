"""Container stage: policy checks of the Dockerfile and compose file, then the image built and run for real.

Static checks always run. The rest needs a container engine (podman's API service started in the
job's network namespace, or Docker via ``DOCKER_HOST``): without one those checks are
``skipped: <reason>`` and award nothing. The build's RUN steps reach only the job's loopback,
where a wheel server offers the wheelhouse the grader filled from ``uv.lock`` before the build. The container runs on the
job's network with ``DATABASE_URL`` pointing at the job's database (``ctx.database``); the grader
reads its process's uid, runs its HEALTHCHECK command itself and reruns the contract's black-box
checks against it. Every container and the tagged image are removed at the end (the kube stage,
when it runs, removes the image after playing it).
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from grader.checks.api import API_CHECKS, ApiProbe, smoke_problem
from grader.checks.holdout import load_holdout
from grader.containers import build as builder
from grader.containers import run as runner
from grader.containers import wheelhouse
from grader.containers.compose import compose_problems, find_compose
from grader.containers.dockerfile import course_rule_problems, hadolint_findings
from grader.containers.engine import Engine, connect
from grader.containers.policy import load_container_policy
from grader.grading.context import GradeContext
from grader.grading.locks import exclusive_build
from grader.paths import DEFAULT_SUITES_DIR
from grader.sandbox import netns

CHECKS = (
    "container.dockerfile",
    "container.compose",
    "container.build",
    "container.non_root",
    "container.healthcheck",
    "container.contract",
)
ENGINE_CHECKS = CHECKS[2:]
RUN_CHECKS = CHECKS[3:]
CONTRACT_CHECKS = ("api.predict", "api.batch", "api.validation")


def _wanted(ctx: GradeContext, check_id: str) -> bool:
    return any(c.id == check_id and ctx.wanted(c) for c in ctx.rubric.stage_checks("container"))


def _verdict(
    ctx: GradeContext, check_id: str, problems: list[str], started: float, ok: str
) -> None:
    """Full points with no problems; each problem costs a quarter of the check."""
    if not problems:
        ctx.passed(check_id, ok, started=started)
    else:
        fraction = max(0.0, 1.0 - 0.25 * len(problems))
        ctx.failed(check_id, "\n".join(problems), fraction=fraction, started=started)


def run(ctx: GradeContext) -> None:
    """Record every wanted container check."""
    src = ctx.sandbox.src
    if _wanted(ctx, "container.dockerfile"):
        started = time.monotonic()
        dockerfile = src / "Dockerfile"
        if not dockerfile.is_file():
            ctx.failed(
                "container.dockerfile", "no Dockerfile at the repository's root", started=started
            )
        else:
            lint, lint_problem = hadolint_findings(dockerfile)
            problems = lint + course_rule_problems(dockerfile)
            ok = "hadolint and every course rule pass" + (
                f" ({lint_problem})" if lint_problem else ""
            )
            _verdict(ctx, "container.dockerfile", problems, started, ok)
    if _wanted(ctx, "container.compose"):
        started = time.monotonic()
        compose = find_compose(src)
        if compose is None:
            ctx.failed("container.compose", "no docker-compose.yml", started=started)
        else:
            problems = compose_problems(compose)
            _verdict(
                ctx, "container.compose", problems, started, "schema and every course rule pass"
            )
    if not any(_wanted(ctx, c) for c in ENGINE_CHECKS):
        return
    if not (src / "Dockerfile").is_file():
        ctx.fail_stage("container", "not run: no Dockerfile")
        return
    if ctx.service is not None:  # the job's own service: its port and CPU go to the container
        ctx.service.process.stop()
        ctx.service = None
    ctx.progress("container: connecting to the container engine")
    engine = connect(ctx.sandbox.workdir / "engine", ctx.sandbox.netns)
    if isinstance(engine, str):
        ctx.skip_stage("container", engine)
        return
    try:
        _build_and_run(ctx, engine)
    finally:
        engine.close()


def _build_context(
    ctx: GradeContext, confined: bool
) -> tuple[Path, wheelhouse.WheelServer | None, str]:
    """The grader's copy of the submission to build, and (confined) the wheel server it installs from."""
    context = ctx.sandbox.workdir / "build-context"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(ctx.sandbox.src, context, symlinks=True)
    if not confined:  # Docker as it is: the build has Docker's own network
        return context, None, "built with the engine's own network"
    present, missing = wheelhouse.prefill(ctx.sandbox.src)
    server = wheelhouse.WheelServer(ctx.sandbox.netns)
    rewritten = wheelhouse.rewrite_lock(context, server.url)
    note = f"{present} locked files from the wheelhouse" if rewritten else "no uv.lock"
    if missing:
        note += f"; not in the registry: {missing[:3]}"
    return context, server, note


def _record_build(
    ctx: GradeContext, feedback: str, *, started: float, fraction: float = 0.0
) -> None:
    """``container.build`` (when this run wants it): passed at fraction 1, failed otherwise."""
    if not _wanted(ctx, "container.build"):
        return
    if fraction >= 1.0:
        ctx.passed("container.build", feedback, started=started)
    else:
        ctx.failed("container.build", feedback, fraction=fraction, started=started)


def _build_and_run(ctx: GradeContext, engine: Engine) -> None:
    tag = f"localhost/grader-{uuid.uuid4().hex[:12]}:build"
    started = time.monotonic()
    ctx.progress("container: preparing the wheelhouse from uv.lock")
    context, server, note = _build_context(ctx, engine.confined)
    ctx.progress("container: building the image (one build at a time on this machine)")
    try:
        with exclusive_build():
            result = builder.build_image(engine, context, tag)
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(context, ignore_errors=True)
    ctx.container_build = {  # type: ignore[attr-defined]
        "seconds": result.seconds,
        "growth_mb": result.growth_mb,
        "log_tail": result.tail(40),
    }
    keep_for_kube = any(
        c.id == "kube.runs" and ctx.wanted(c) for c in ctx.rubric.stage_checks("kube")
    )
    try:
        if result.image is None:
            _record_build(
                ctx,
                f"the build failed: {result.error}\n{result.tail()}\n({note})",
                started=started,
            )
            ctx.fail_stage("container", "not run: the image did not build (see container.build)")
            return
        where = "in the job's network namespace" if engine.confined else f"by {engine.kind}"
        summary = (
            f"built {where} in {result.seconds:.0f} s ({note}); "
            f"adds {result.growth_mb} MB to its base"
        )
        problems = builder.limit_problems(result)
        if problems:
            _record_build(
                ctx,
                summary + "\n" + "\n".join(problems),
                # a stub image earns nothing for building
                fraction=0.0 if builder.holds_no_service(result) else 0.5,
                started=started,
            )
        else:
            _record_build(ctx, summary, fraction=1.0, started=started)
        if keep_for_kube and engine.kind == "podman":
            ctx.container_image = tag  # type: ignore[attr-defined]
        if not any(_wanted(ctx, c) for c in RUN_CHECKS):
            return
        database = getattr(ctx, "database", None)
        if database is None:
            ctx.skip_stage("container", "no job database")
            return
        _run_container(ctx, engine, result.image, str(database.url))
    finally:
        if getattr(ctx, "container_image", None) != tag:
            builder.remove_image(engine, tag)


def _run_container(ctx: GradeContext, engine: Engine, image: Any, database_url: str) -> None:
    started = time.monotonic()
    ctx.progress("container: starting the container")
    running = runner.start(engine, image, database_url)
    try:
        timeout = float(load_container_policy()["run"]["startup_timeout_s"])
        problem = runner.wait_healthy(
            running, ctx.sandbox.netns if engine.confined else None, timeout
        )
        if problem:
            ctx.fail_stage("container", f"not run: the container did not become healthy: {problem}")
            return
        if _wanted(ctx, "container.non_root"):
            _non_root(ctx, running, started)
        if _wanted(ctx, "container.healthcheck"):
            _healthcheck(ctx, engine, running, image)
        if _wanted(ctx, "container.contract"):
            _contract(ctx, running, engine)
    finally:
        runner.stop(running)


def _non_root(ctx: GradeContext, running: runner.Running, started: float) -> None:
    """The uid of the container's main process (from /proc, else ``id -u`` inside it)."""
    uid = runner.process_uid(running)
    if uid is None:
        code, output = running.container.exec_run(["id", "-u"])[:2]
        uid = int(output.strip()) if code == 0 and output.strip().isdigit() else None
    if uid is None:
        ctx.failed(
            "container.non_root",
            "could not read the uid of the container's process",
            started=started,
        )
    elif uid == 0:
        ctx.failed(
            "container.non_root",
            "the container's process runs as root (uid 0)",
            started=started,
        )
    else:
        ctx.passed(
            "container.non_root", f"the container's process runs as uid {uid}", started=started
        )


def _healthcheck(ctx: GradeContext, engine: Engine, running: runner.Running, image: Any) -> None:
    """The image's HEALTHCHECK command, run by the grader in the container."""
    started = time.monotonic()
    command = runner.healthcheck_command(engine, image)
    if command is None:
        ctx.failed("container.healthcheck", "the image has no HEALTHCHECK", started=started)
    else:
        code, output = runner.run_healthcheck(running, command)
        if code == 0:
            ctx.passed("container.healthcheck", f"{command} exited 0", started=started)
        else:
            ctx.failed(
                "container.healthcheck", f"{command} exited {code}: {output}", started=started
            )


def _contract(ctx: GradeContext, running: runner.Running, engine: Engine) -> None:
    """/health, /ready and the contract's predict, batch and validation checks, against the container."""
    started = time.monotonic()
    cases_path = ctx.rubric.directory / "cases.json"
    if not cases_path.is_file():
        cases_path = DEFAULT_SUITES_DIR / "hw1" / "cases.json"
    cases = json.loads(cases_path.read_text())
    holdout = load_holdout(ctx.rubric.directory.parent)
    timeout = float(ctx.settings("api")["request_timeout_s"])

    def check_all() -> list[str]:
        problems = []
        with httpx.Client(base_url=running.base_url, timeout=timeout) as client:
            for path in ("/health", "/ready"):
                status = client.get(path).status_code
                if status != 200:
                    problems.append(f"GET {path} answered {status}")
            probe = ApiProbe(client, ctx.contract, cases, holdout, ctx.thresholds, ctx.commit)
            for endpoint in ("predict", "batch"):
                probe.begin_check()
                if found := smoke_problem(probe, endpoint):
                    problems.append(found)
            for check_id in CONTRACT_CHECKS:
                probe.begin_check()
                verdict = API_CHECKS[check_id].run(probe)
                if not verdict.passed:
                    problems.append(f"{check_id}: {verdict.feedback}")
        return problems

    problems = netns.call_in(ctx.sandbox.netns if engine.confined else None, check_all)
    total = 4 + len(CONTRACT_CHECKS)
    if problems:
        fraction = max(0.0, 1 - len(problems) / total)
        ctx.failed("container.contract", "\n".join(problems), fraction=fraction, started=started)
    else:
        ctx.passed(
            "container.contract",
            f"{total} contract checks pass against the container",
            started=started,
        )
