"""The container and kube stages on the hw2 solution and on hostile patches of it.

Static checks (Dockerfile, compose, manifests) run everywhere. The engine test builds, through
the grader's own path (podman's API service inside the job's network namespace), a Dockerfile
whose RUN step probes a listener this test opens on the host's loopback: it must not reach it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.containers.build import build_image, remove_image
from grader.containers.compose import compose_problems
from grader.containers.dockerfile import course_rule_problems, hadolint_findings
from grader.containers.engine import connect
from grader.containers.kube import compose_image, policy_problems, render, validation_problems
from grader.containers.policy import render_container_policy_markdown
from grader.rubric import load_rubric
from grader.sandbox import netns
from tests.grader._hw2_box import grade_box, job

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "homework" / "hw2_db_k8s" / "solution"


def patched(tmp_path: Path, path: str, old: str, new: str) -> Path:
    """A copy of the solution with one textual change (which must apply)."""
    copy = tmp_path / "submission"
    shutil.copytree(
        SOLUTION, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__", "secret.env")
    )
    target = copy / path
    text = target.read_text()
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, 1))
    return copy


def test_the_rubric_half_is_30_points_with_lecture_anchors() -> None:
    checks = [c for c in load_rubric("hw2").checks if c.stage in ("container", "kube")]
    assert sum(c.points for c in checks) == 30
    headings = (ROOT / "lectures" / "06_containers_and_orchestration" / "README.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", headings, re.MULTILINE)
    }
    for check in checks:
        assert check.lecture.split("#")[1] in anchors, check.id


def test_the_solution_passes_every_static_rule() -> None:
    assert course_rule_problems(SOLUTION / "Dockerfile") == []
    assert hadolint_findings(SOLUTION / "Dockerfile") == ([], None)
    assert compose_problems(SOLUTION / "docker-compose.yml") == []
    rendered = render(SOLUTION)
    assert rendered.problem is None and len(rendered.objects) >= 5
    assert validation_problems(rendered) == []
    assert policy_problems(rendered, SOLUTION, compose_image(SOLUTION)) == []


@pytest.mark.parametrize(
    ("path", "old", "new", "rule"),
    [
        ("Dockerfile", "USER 10001:10001\n", "", "numeric_user"),  # runs as root
        ("Dockerfile", "FROM python:3.11-slim\nENV", "FROM python:latest\nENV", "no_latest"),
        (
            "Dockerfile",
            "PYTHONUNBUFFERED=1",
            "PYTHONUNBUFFERED=1 \\\n    POSTGRES_PASSWORD=hunter2",
            "no_secrets",
        ),
        ("Dockerfile", "HEALTHCHECK", "# HEALTHCHECK", "healthcheck"),
    ],
)
def test_hostile_dockerfiles_break_their_rule(
    tmp_path: Path, path: str, old: str, new: str, rule: str
) -> None:
    source = patched(tmp_path, path, old, new)
    problems = course_rule_problems(source / "Dockerfile")
    assert any(p.startswith(f"{rule}:") for p in problems), problems


@pytest.mark.parametrize(
    ("path", "old", "new", "rule"),
    [
        ("docker-compose.yml", "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (see .env.example)}", "hunter2", "password_from_env"),
        ("docker-compose.yml", "postgres:17.6-bookworm", "postgres:latest", "no_latest"),
        ("docker-compose.yml", "condition: service_healthy", "condition: service_started", "depends_healthy"),
    ],
)  # fmt: skip
def test_hostile_compose_files_break_their_rule(
    tmp_path: Path, path: str, old: str, new: str, rule: str
) -> None:
    source = patched(tmp_path, path, old, new)
    problems = compose_problems(source / "docker-compose.yml")
    assert any(p.startswith(f"{rule}:") for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("$(POSTGRES_PASSWORD)@$(POSTGRES_HOST)", "hunter2@$(POSTGRES_HOST)", "secret_credentials"),
        ("path: /ready", "path: /health", "probes"),
        ("    newTag: 2.0.0", "    newTag: latest", "no_latest"),
    ],
)
def test_hostile_manifests_break_their_rule(tmp_path: Path, old: str, new: str, rule: str) -> None:
    name = "k8s/kustomization.yaml" if "newTag" in old else "k8s/api.yaml"
    source = patched(tmp_path, name, old, new)
    rendered = render(source)
    assert rendered.problem is None
    problems = policy_problems(rendered, source, compose_image(source))
    assert any(p.startswith(f"{rule}:") for p in problems), problems


def test_static_checks_score_through_the_stages(tmp_path: Path) -> None:
    """Grade the static checks of a root image + hard-coded manifest password through the stages."""
    source = patched(tmp_path, "Dockerfile", "USER 10001:10001\n", "")
    api = source / "k8s" / "api.yaml"
    api.write_text(api.read_text().replace("$(POSTGRES_PASSWORD)@", "hunter2@"))
    with job(source, with_database=False) as ctx:
        static = ("container.dockerfile", "container.compose", "kube.manifests", "kube.policy")
        ctx.rubric = dataclasses.replace(
            ctx.rubric, checks=tuple(c for c in ctx.rubric.checks if c.id in static)
        )
        grade_box(ctx)
    results = ctx.results
    assert results["container.dockerfile"].status == "failed"
    assert "numeric_user" in results["container.dockerfile"].feedback
    assert results["container.compose"].status == "passed"
    assert results["kube.manifests"].status == "passed"
    assert results["kube.policy"].status == "failed"
    assert (
        "hunter2" not in results["kube.policy"].feedback
        and "literal password" in results["kube.policy"].feedback
    )


def test_the_policy_renders_for_the_docs() -> None:
    text = render_container_policy_markdown()
    assert "docker.io/library/python:3.11-slim" in text and "`numeric_user`" in text


# --- a real engine -----------------------------------------------------------------------------------


PROBE = """FROM docker.io/library/python:3.11-slim
RUN python -c "import socket; s = socket.create_connection(('127.0.0.1', {port}), timeout=3); print('REA' + 'CHED', s.recv(16))" || echo ISOLATED
"""


def test_a_run_step_cannot_reach_the_hosts_loopback(
    tmp_path: Path, require_tool: Callable[[str], str]
) -> None:
    require_tool("podman")
    require_tool("nsenter")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    accepted: list[bool] = []

    def serve() -> None:
        listener.settimeout(30)
        try:
            conn, _ = listener.accept()
            accepted.append(True)
            conn.sendall(b"host-secret")
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(PROBE.format(port=port))
    name = f"grader-test-{os.getpid()}"
    netns.create(name)
    engine = connect(tmp_path / "engine", name)
    try:
        assert not isinstance(engine, str), engine
        tag = f"localhost/{name}:probe"
        result = build_image(engine, context, tag)
        remove_image(engine, tag)
        log = "".join(result.log)
        assert result.error is None, result.tail()
        assert "ISOLATED\n" in result.log and "REACHED" not in log.replace("'REA' + 'CHED'", ""), (
            log
        )
        assert not accepted
    finally:
        if not isinstance(engine, str):
            engine.close()
        netns.delete(name)
        listener.close()
