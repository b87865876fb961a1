"""Kube stage: render ``k8s/`` with kustomize, validate it strictly, apply the course's rules, play it.

``kube.manifests`` and ``kube.policy`` are static (offline schemas, no cluster). ``kube.runs``
plays the app Deployment with its ConfigMaps and Secrets under podman, in the job's network
namespace, with the image the container stage built and the job's database; it is
``skipped: <reason>`` without podman, without that image or without a job database.
"""

from __future__ import annotations

import re
import time

from grader.containers import play
from grader.containers.engine import podman_env
from grader.containers.kube import (
    app_workload,
    compose_image,
    pod_spec,
    policy_problems,
    render,
    validation_problems,
)
from grader.containers.policy import load_container_policy
from grader.grading.context import GradeContext

CHECKS = ("kube.manifests", "kube.policy", "kube.runs")


def _wanted(ctx: GradeContext, check_id: str) -> bool:
    return any(c.id == check_id and ctx.wanted(c) for c in ctx.rubric.stage_checks("kube"))


def run(ctx: GradeContext) -> None:
    """Record every wanted kube check."""
    image = getattr(ctx, "container_image", None)
    try:
        _run(ctx, image)
    finally:
        if image:
            import subprocess

            subprocess.run(
                ["podman", "rmi", "--force", image],
                capture_output=True, timeout=120, env=podman_env(), check=False,
            )  # fmt: skip
            ctx.container_image = None  # type: ignore[attr-defined]


def _run(ctx: GradeContext, image: str | None) -> None:
    started = time.monotonic()
    rendered = render(ctx.sandbox.src)
    if rendered.problem:
        ctx.fail_stage("kube", f"not run: {rendered.problem}")
        return
    has_app = app_workload(rendered) is not None
    if not has_app:  # nothing to validate or hold to the rules yet
        for check_id in ("kube.manifests", "kube.policy"):
            if _wanted(ctx, check_id):
                ctx.failed(
                    check_id,
                    f"k8s/ renders {len(rendered.objects)} object(s) and no Deployment of the API",
                    started=started,
                )
    elif _wanted(ctx, "kube.manifests"):
        problems = validation_problems(rendered)
        if problems:
            fraction = max(0.0, 1 - 0.25 * len(problems))
            ctx.failed("kube.manifests", "\n".join(problems), fraction=fraction, started=started)
        else:
            ctx.passed(
                "kube.manifests",
                f"{len(rendered.objects)} objects render and pass kubernetes-validate --strict",
                started=started,
            )
    if has_app and _wanted(ctx, "kube.policy"):
        started = time.monotonic()
        problems = policy_problems(rendered, ctx.sandbox.src, compose_image(ctx.sandbox.src))
        if problems:
            fraction = max(0.0, 1 - 0.25 * len(problems))
            ctx.failed("kube.policy", "\n".join(problems), fraction=fraction, started=started)
        else:
            ctx.passed("kube.policy", "every Kubernetes rule of the course passes", started=started)
    if not _wanted(ctx, "kube.runs"):
        return
    started = time.monotonic()
    database = getattr(ctx, "database", None)
    if image is None:
        ctx.skip_stage("kube", "no image: the container stage did not build one with podman")
        return
    if database is None:
        ctx.skip_stage("kube", "no job database")
        return
    # Unique per job on the machine (the job's temporary directory), as a DNS-1123 label part.
    job = re.sub(r"[^a-z0-9]", "", ctx.sandbox.workdir.name.rsplit("-", 1)[-1].lower())
    objects = play.played_manifest(rendered, image, str(database.url), job=job)
    app = app_workload(rendered)
    ports = [
        p.get("containerPort")
        for c in pod_spec(app or {}).get("containers") or []
        for p in c.get("ports") or []
    ]
    if not objects or not ports:
        ctx.failed("kube.runs", "no Deployment with a container port to play", started=started)
        return
    ctx.progress("kube: podman kube play of the app Deployment")
    timeout = float(load_container_policy()["run"]["startup_timeout_s"])
    problem = play.play(objects, ctx.sandbox.workdir, ctx.sandbox.netns, int(ports[0]), timeout)
    if problem is None:
        ctx.passed("kube.runs", "the played Deployment answers GET /health 200", started=started)
    elif problem.startswith("skipped: "):
        ctx.skip_stage("kube", problem.removeprefix("skipped: "))
    else:
        ctx.failed("kube.runs", problem, started=started)
