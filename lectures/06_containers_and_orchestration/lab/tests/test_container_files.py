"""Self-check for lab 6: the Dockerfile and the compose file, checked statically.

Nothing is built or started here (no container engine in CI): hadolint and the Compose
specification's JSON schema check the files, and each test below checks one rule of the lab README.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]
SERVICE = REPO / "homework" / "hw1_api" / "solution"
PINNED_IMAGE = re.compile(r"^[\w./-]+:(?!latest$)[\w.-]+(@sha256:[0-9a-f]{64})?$")


def tool(name: str) -> str:
    """A console script installed next to this interpreter (the project's dev dependencies)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: run `uv sync`"
    return found


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    return [(text.split(None, 1)[0].upper(), (text.split(None, 1) + [""])[1]) for text in logical]


def stages(dockerfile: Path) -> list[list[tuple[str, str]]]:
    """The instructions grouped by build stage (each starts with FROM)."""
    groups: list[list[tuple[str, str]]] = []
    for instruction in instructions(dockerfile):
        if instruction[0] == "FROM":
            groups.append([])
        if groups:
            groups[-1].append(instruction)
    return groups


@pytest.fixture(scope="module")
def dockerfile(lab_dir: Path) -> Path:
    path = lab_dir / "Dockerfile"
    assert path.is_file(), f"no Dockerfile in {lab_dir}"
    return path


@pytest.fixture(scope="module")
def compose_path(lab_dir: Path) -> Path:
    path = lab_dir / "compose.yaml"
    assert path.is_file(), f"no compose.yaml in {lab_dir}"
    return path


@pytest.fixture(scope="module")
def compose(compose_path: Path) -> dict:
    return yaml.safe_load(compose_path.read_text())


# ---------------------------------------------------------------------------- Dockerfile


def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_images_are_pinned(dockerfile: Path) -> None:
    for name, arguments in instructions(dockerfile):
        if name == "FROM":
            image = arguments.split()[0]
            assert PINNED_IMAGE.match(image), f"FROM {image}: pin a tag (not latest)"


def test_multi_stage_runtime_gets_the_venv_from_the_builder(dockerfile: Path) -> None:
    groups = stages(dockerfile)
    assert len(groups) >= 2, "use a build stage and a runtime stage"
    runtime = groups[-1]
    assert any(n == "COPY" and a.startswith("--from=") for n, a in runtime), (
        "the runtime stage should COPY --from the build stage"
    )
    assert not any(n == "RUN" and re.search(r"\b(uv|pip)\b", a) for n, a in runtime), (
        "install dependencies in the build stage, not in the runtime stage"
    )


def test_dependencies_are_installed_before_the_code_is_copied(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    lock = next(
        (i for i, (n, a) in enumerate(steps) if n == "COPY" and "uv.lock" in a.split()), None
    )
    sync = next(
        (i for i, (n, a) in enumerate(steps) if n == "RUN" and "uv sync" in a and "--frozen" in a),
        None,
    )
    code = next(
        (i for i, (n, a) in enumerate(steps) if n == "COPY" and re.search(r"(^|\s)app/?(\s|$)", a)),
        None,
    )
    assert lock is not None, "COPY pyproject.toml uv.lock on their own, first"
    assert sync is not None, "install with `uv sync --frozen` (the lock file, exactly)"
    assert code is not None, "COPY the app/ package"
    assert lock < sync < code, "lock files, then uv sync, then the code: edits keep the cache"


def test_only_what_the_image_needs_is_copied(dockerfile: Path) -> None:
    for name, arguments in instructions(dockerfile):
        assert name != "ADD", "use COPY; ADD also fetches URLs and unpacks archives"
        if name == "COPY" and not arguments.startswith("--from="):
            sources = arguments.split()[:-1]
            assert "." not in sources and "./" not in sources, (
                "COPY named folders (app/, model/), not the whole context"
            )


def test_runs_as_a_numeric_non_root_user(dockerfile: Path) -> None:
    users = [a for n, a in stages(dockerfile)[-1] if n == "USER"]
    assert users, "the runtime stage needs a USER"
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]), (
        "a numeric uid (not 0) lets Kubernetes check runAsNonRoot"
    )


def test_healthcheck_probes_health(dockerfile: Path) -> None:
    checks = [a for n, a in instructions(dockerfile) if n == "HEALTHCHECK"]
    assert checks and "/health" in checks[-1], "add a HEALTHCHECK that calls /health"


def test_serves_on_all_interfaces_in_exec_form(dockerfile: Path) -> None:
    assert ("EXPOSE", "8000") in instructions(dockerfile)
    commands = [a for n, a in instructions(dockerfile) if n == "CMD"]
    assert commands, "no CMD"
    try:
        command = json.loads(commands[-1])
    except json.JSONDecodeError:
        pytest.fail("write CMD in exec form, a JSON array: signals then reach the server")
    assert "app.main:app" in command
    host = command[command.index("--host") + 1] if "--host" in command else None
    assert host == "0.0.0.0", "inside the container the server must listen on 0.0.0.0"


# ---------------------------------------------------------------------------- compose file


def test_compose_file_matches_the_specification(compose_path: Path) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(compose_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_api_builds_the_hw1_service_with_this_dockerfile(compose: dict, lab_dir: Path) -> None:
    build = compose["services"]["api"]["build"]
    context = (lab_dir / build["context"]).resolve()
    assert context == SERVICE, f"build context {context} is not homework/hw1_api/solution"
    assert (context / build["dockerfile"]).resolve() == (lab_dir / "Dockerfile").resolve()


def test_ports_are_published_on_localhost_only(compose: dict) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: publish {port} on 127.0.0.1"


def test_images_are_pinned(compose: dict) -> None:
    for name, service in compose["services"].items():
        if "image" in service:
            assert PINNED_IMAGE.match(service["image"]), f"{name}: pin {service['image']}"


def test_no_password_is_written_in_the_file(compose: dict) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            secret = "PASSWORD" in key or re.search(r"://[^/@]*:[^/@]*@", str(value))
            if secret:
                assert "${POSTGRES_PASSWORD:?" in str(value), (
                    f"{name}.{key}: take the password from the environment, and refuse to start "
                    "without it: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
                )


def test_api_waits_for_a_healthy_database(compose: dict) -> None:
    depends = compose["services"]["api"].get("depends_on")
    assert isinstance(depends, dict), "depends_on: {db: {condition: service_healthy}}"
    assert depends.get("db", {}).get("condition") == "service_healthy"
    test = compose["services"]["db"].get("healthcheck", {}).get("test", [])
    assert "pg_isready" in " ".join(test if isinstance(test, list) else [test])


def test_database_keeps_its_data_in_a_named_volume(compose: dict) -> None:
    volumes = compose["services"]["db"].get("volumes", [])
    named = [str(v).split(":")[0] for v in volumes if ":/var/lib/postgresql/data" in str(v)]
    assert named and named[0] in (compose.get("volumes") or {}), (
        "mount a named volume (declared under top-level volumes:) at /var/lib/postgresql/data"
    )
