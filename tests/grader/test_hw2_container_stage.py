"""The container and kube stages on the hw2 solution and on hostile patches of it.

Static checks (Dockerfile, compose, manifests) run everywhere. Checks that need an engine build
and run through the grader's own path (podman's API service inside the job's network namespace,
the wheelhouse, a PostgreSQL in the job's namespace). The solution is graded once per session;
the fixtures under ``fixtures/submissions/_hw2`` (patches of the solution) grade only the checks
their ``expected.toml`` names, so the static ones build nothing. Image layers stay cached between
builds (only the tagged images are removed), as does the wheelhouse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader.containers.compose import compose_problems
from grader.containers.dockerfile import course_rule_problems, hadolint_findings
from grader.containers.engine import podman_env
from grader.containers.kube import compose_image, policy_problems, render, validation_problems
from grader.containers.policy import load_container_policy, render_container_policy_markdown
from grader.rubric import load_rubric
from tests.grader._hw2_box import grade_box, job

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "homework" / "hw2_db_k8s" / "solution"
IGNORE = shutil.ignore_patterns(".venv", "__pycache__", ".dev", "secret.env", ".pytest_cache")


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
        (".dockerignore", ".env\n", "", "dockerignore"),
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


def test_the_policy_renders_for_the_docs() -> None:
    text = render_container_policy_markdown()
    assert "docker.io/library/python:3.11-slim" in text and "`numeric_user`" in text


# --- graded through the stages (a real engine for the checks that need one) ---------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "submissions" / "_hw2"
HW2_FIXTURES = sorted(p.name for p in FIXTURES.iterdir() if (p / "patch.toml").is_file())
ENGINE_CHECKS = {"container.build", "container.non_root", "container.healthcheck", "container.contract", "kube.runs"}  # fmt: skip


class Listener:
    """A TCP listener on the host's loopback that records whether anything connected."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            with contextlib.suppress(OSError):
                conn.sendall(b"host-secret")
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.socket.close()


@pytest.fixture(scope="session")
def engine_ready(require_tool: Callable[[str], str], require_full_isolation: None) -> None:
    """podman, nsenter, root with network namespaces, and the allowed base images (CI: all required)."""
    require_tool("podman")
    require_tool("nsenter")
    missing = [
        image
        for image in load_container_policy()["base_images"]["allowed"]
        if subprocess.run(
            ["podman", "image", "exists", image], env=podman_env(), check=False
        ).returncode
    ]
    if missing:
        message = f"base images {missing} missing: run .ci/container-setup.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def apply_patch(fixture: Path, destination: Path, **values: object) -> Path:
    """The solution with the fixture's replacements (each must apply)."""
    copy = destination / "submission"
    shutil.copytree(SOLUTION, copy, ignore=IGNORE)
    for change in tomllib.loads((fixture / "patch.toml").read_text()).get("replace", []):
        target = copy / change["path"]
        text = target.read_text()
        assert change["old"] in text, f"{fixture.name}: {change['old']!r} not in {change['path']}"
        new = change["new"]
        for key, value in values.items():
            new = new.replace("{" + key + "}", str(value))
        target.write_text(text.replace(change["old"], new, 1))
    return copy


def grade_checks(source: Path, checks: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Grade only ``checks`` of the container and kube stages, with a job database: the results,
    and the stages' seconds plus the build's figures (``build``)."""
    with job(source, with_database=bool(checks & ENGINE_CHECKS)) as ctx:
        ctx.rubric = dataclasses.replace(
            ctx.rubric, checks=tuple(c for c in ctx.rubric.checks if c.id in checks)
        )
        stages = tuple(
            s for s in ("container", "kube") if any(c.startswith(s + ".") for c in checks)
        )
        seconds: dict[str, Any] = dict(grade_box(ctx, stages))
        seconds["build"] = getattr(ctx, "container_build", None)
    return ctx.results, seconds


@pytest.mark.parametrize("name", HW2_FIXTURES)
def test_hostile_fixture_lands_where_expected(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    fixture = FIXTURES / name
    expected = tomllib.loads((fixture / "expected.toml").read_text())
    checks = set(expected["status"])
    if checks & ENGINE_CHECKS:
        request.getfixturevalue("engine_ready")
    listener = Listener()
    try:
        source = apply_patch(fixture, tmp_path, listener_port=listener.port)
        results, figures = grade_checks(source, checks)
    finally:
        listener.close()
    for check_id, status in expected["status"].items():
        assert results[check_id].status == status, (check_id, results[check_id].feedback)
    for check_id, text in expected.get("feedback", {}).items():
        assert text in results[check_id].feedback, (check_id, results[check_id].feedback)
    assert all(r.status != "error" for r in results.values()), results
    if expected.get("listener_untouched"):
        assert listener.connections == 0
    if "build_log" in expected:
        log = figures["build"]["log_tail"]
        assert expected["build_log"] in log and "got b'host-secret'" not in log, log


@pytest.fixture(scope="session")
def solution_graded(engine_ready: None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The hw2 solution graded once per session: every container and kube check, a job database."""
    checks = {c.id for c in load_rubric("hw2").checks if c.stage in ("container", "kube")}
    return grade_checks(SOLUTION, checks)


def test_the_solution_passes_every_container_and_kube_check(
    solution_graded: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    results, seconds = solution_graded
    problems = {r.id: r.feedback for r in results.values() if r.status != "passed"}
    assert not problems, problems
    assert sum(r.points for r in results.values()) == 30
    build = results["container.build"].feedback
    assert "in the job's network namespace" in build and "from the wheelhouse" in build
    limit = load_container_policy()["build"]["max_seconds"]
    assert seconds["container"] < limit + 120, seconds  # the policy's build limit plus the run


def test_the_regrade_workflow_takes_the_same_podman_path() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "regrade.yml").read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    names = [s.get("name", "") for s in steps]
    setup = next(s for s in steps if "container-setup.sh" in s.get("run", ""))
    assert setup["if"] == "inputs.homework == 'hw2'"
    assert names.index(setup["name"]) < names.index("Grade (all checks)")
    assert not any("DOCKER_HOST" in (s.get("env") or {}) for s in steps)
