"""Tests for lecture 6: the config files are valid and the examples behave as the notes say."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import yaml

EXAMPLES = Path(__file__).parent / "examples"
README = Path(__file__).parent / "README.md"
ROOT = Path(__file__).resolve().parents[2]
K8S = sorted((EXAMPLES / "k8s").glob("*.yaml"))
BIN = Path(sys.executable).parent
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 100}}}"


def load(name: str) -> ModuleType:
    """Import an example file by path under a lecture-specific module name."""
    spec = importlib.util.spec_from_file_location(f"lecture06_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a validator CLI from the project's virtualenv."""
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=60, check=False
    )


def test_dockerfile_passes_hadolint() -> None:
    done = run(BIN / "hadolint", EXAMPLES / "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\n")
    done = run(BIN / "hadolint", bad)
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # "latest" tag


def test_dockerfile_follows_the_practices_in_the_notes() -> None:
    text = (EXAMPLES / "Dockerfile").read_text()
    assert text.count("FROM python:3.11-slim") == 2  # slim base, multi-stage
    assert "USER 10001" in text and "HEALTHCHECK" in text
    # Lock files are copied (and dependencies installed) before the application code.
    assert text.index("COPY pyproject.toml uv.lock") < text.index("--no-install-project")
    assert text.index("--no-install-project") < text.index("COPY churn_service/")
    ignored = (EXAMPLES / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "data/"} <= set(ignored)


def test_compose_file_matches_the_compose_spec() -> None:
    compose = EXAMPLES / "docker-compose.yml"
    done = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose)
    assert done.returncode == 0, done.stdout + done.stderr
    services = yaml.safe_load(compose.read_text())["services"]
    assert services["api"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert "healthcheck" in services["db"]


def test_compose_schema_would_catch_a_typo(tmp_path: Path) -> None:
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  api:\n    image: x\n    restart_policy: always\n")
    done = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", bad)
    assert done.returncode != 0


def test_yaml_files_pass_yamllint() -> None:
    files = [EXAMPLES / "docker-compose.yml", *K8S]
    done = run(BIN / "yamllint", "-s", "-d", YAMLLINT_CONFIG, *files)
    assert done.returncode == 0, done.stdout


def test_kubernetes_manifests_validate_strictly() -> None:
    assert {p.name for p in K8S} == {
        "configmap.yaml",
        "deployment.yaml",
        "postgres.yaml",
        "secret.yaml",
        "service.yaml",
    }
    done = run(BIN / "kubernetes-validate", "--strict", *K8S)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("passed") == 6  # postgres.yaml holds a Service and a StatefulSet


def test_kubernetes_validate_rejects_unknown_fields(tmp_path: Path) -> None:
    manifest = yaml.safe_load((EXAMPLES / "k8s" / "deployment.yaml").read_text())
    manifest["spec"]["replica"] = manifest["spec"].pop("replicas")  # a typo kubectl would reject
    bad = tmp_path / "deployment.yaml"
    bad.write_text(yaml.safe_dump(manifest))
    assert run(BIN / "kubernetes-validate", "--strict", bad).returncode != 0


def test_manifests_are_wired_together() -> None:
    docs = [d for path in K8S for d in yaml.safe_load_all(path.read_text())]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    deployment = by_kind[("Deployment", "churn-api")]
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    service = by_kind[("Service", "churn-api")]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert container["envFrom"][0]["configMapRef"]["name"] in {
        name for kind, name in by_kind if kind == "ConfigMap"
    }
    secret_keys = by_kind[("Secret", "churn-db")]["stringData"]
    for env in container["env"]:
        if "valueFrom" in env:
            assert env["valueFrom"]["secretKeyRef"]["key"] in secret_keys
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    assert set(container["resources"]) == {"requests", "limits"}
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


SAMPLE_BUILD_LOG = """\
[1/2] STEP 1/8: FROM python:3.11-slim AS builder
[1/2] STEP 6/8: RUN uv sync --frozen --no-dev --no-install-project
--> Using cache b9ebed5f7bae6a35c832bb2dd9dac4d09864a4aaf6edce273b9fef549feca275
--> b9ebed5f7ba
[1/2] STEP 7/8: COPY churn_service/ ./churn_service/
--> 0ecd3ade4b8
[2/2] STEP 10/10: CMD ["uvicorn", "churn_service.app:app"]
[2/2] COMMIT localhost/x:1
--> 325679bc36a
"""


def test_build_log_parser_reads_cached_and_rebuilt_steps() -> None:
    steps = load("build_cache").parse_build_output(SAMPLE_BUILD_LOG)
    assert [(s.stage, s.number, s.keyword, s.cached) for s in steps] == [
        (1, 1, "FROM", False),
        (1, 6, "RUN", True),
        (1, 7, "COPY", False),
        (2, 10, "CMD", False),
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="namespaces are Linux-only")
def test_container_primitives_lists_namespaces() -> None:
    module = load("container_primitives")
    found = module.namespaces()
    assert {"pid", "net", "mnt", "uts"} <= set(found)
    assert found["net"].startswith("net:[")
    assert module.cgroup_path().startswith("/")


def test_postgres_online_and_batch_agree() -> None:
    result = load("postgres_feature_store").run_demo(n_online=20)
    assert result["server_version"] >= 120000
    assert result["rows_loaded"] == result["batch_rows"] == 5607
    assert result["online_requests"] == 20
    assert result["max_skew"] < 1e-12
    assert 0.0 < result["new_customer_probability"] < 1.0
    assert result["prediction_rows"] == {"online": 21, "batch": 5607}
    contracts = [row[0] for row in result["by_contract"]]
    assert contracts == ["Month-to-month", "One year", "Two year"]  # highest churn first
    assert "Index Scan" in result["lookup_plan"]
    assert "Index" not in result["analytics_plan"]
    # Per customer, the batch is far cheaper than one online request.
    assert result["batch_ms_per_row"] < result["online_request_ms_p50"] / 5


def fenced_block(language: str) -> str:
    """The first ```language block of the lecture notes."""
    match = re.search(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert match is not None, f"no {language} block in the notes"
    return match.group(1)


def is_subset(small: object, big: object) -> bool:
    """True if every mapping key/value of `small` appears in `big` (lists must be equal)."""
    if isinstance(small, dict) and isinstance(big, dict):
        return all(k in big and is_subset(v, big[k]) for k, v in small.items())
    return small == big


def dockerfile_instructions(text: str) -> list[str]:
    """Instructions of a Dockerfile, comments dropped, continuations joined, spaces normalised."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.strip() for line in joined.splitlines())
    return [" ".join(line.split()) for line in lines if line and not line.startswith("#")]


def test_notes_show_the_real_dockerfile() -> None:
    shown = dockerfile_instructions(fenced_block("dockerfile"))
    real = dockerfile_instructions((EXAMPLES / "Dockerfile").read_text())
    assert shown == real
    assert any(line.startswith("HEALTHCHECK") and "--retries=3 CMD" in line for line in real)


def test_notes_show_an_excerpt_of_the_real_compose_file() -> None:
    shown = yaml.safe_load(fenced_block("yaml"))
    real = yaml.safe_load((EXAMPLES / "docker-compose.yml").read_text())
    assert is_subset(shown, real)


def _api_environment(by_kind: dict) -> dict[str, str]:
    """The API container's environment as Kubernetes builds it: the ConfigMap first, then `env`
    in order, secrets resolved and $(NAME) references to earlier variables expanded."""
    container = by_kind[("Deployment", "churn-api")]["spec"]["template"]["spec"]["containers"][0]
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        environment.update(by_kind[("ConfigMap", source["configMapRef"]["name"])]["data"])
    for env in container.get("env", []):
        if "valueFrom" in env:
            ref = env["valueFrom"]["secretKeyRef"]
            environment[env["name"]] = by_kind[("Secret", ref["name"])]["stringData"][ref["key"]]
        else:
            for name in re.findall(r"\$\((\w+)\)", env["value"]):
                assert name in environment, f"$({name}) is not defined before {env['name']}"
            environment[env["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: environment[m.group(1)], env["value"]
            )
    return environment


def test_api_gets_database_url_as_the_contract_requires() -> None:
    """Error 7: the service reads DATABASE_URL (hw2 contract), not DB_HOST/DB_USER/... pieces."""
    from urllib.parse import urlsplit

    docs = [d for path in K8S for d in yaml.safe_load_all(path.read_text())]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    environment = _api_environment(by_kind)
    assert not [name for name in environment if name.startswith("DB_")]
    url = urlsplit(environment["DATABASE_URL"])
    assert url.scheme == "postgresql"
    secret = by_kind[("Secret", "churn-db")]["stringData"]
    assert (url.username, url.password) == (secret["POSTGRES_USER"], secret["POSTGRES_PASSWORD"])
    db_service = by_kind[("Service", url.hostname)]
    assert url.port in {p["port"] for p in db_service["spec"]["ports"]}
    postgres = by_kind[("StatefulSet", url.hostname)]["spec"]["template"]["spec"]["containers"][0]
    database = {e["name"]: e.get("value") for e in postgres["env"]}["POSTGRES_DB"]
    assert url.path == f"/{database}"
    # compose and Kubernetes give the service the same single variable
    compose = yaml.safe_load((EXAMPLES / "docker-compose.yml").read_text())
    assert "DATABASE_URL" in compose["services"]["api"]["environment"]


def test_dockerfile_pins_the_course_uv() -> None:
    """Error 8: the image's uv is the version the course locks and CI installs."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = next(p["version"] for p in lock["package"] if p["name"] == "uv")
    ci_pin = re.search(r'"uv==([\d.]+)"', (ROOT / ".ci" / "run").read_text()).group(1)
    images = re.findall(r"ghcr\.io/astral-sh/uv:([\w.]+)", (EXAMPLES / "Dockerfile").read_text())
    assert images == [locked] == [ci_pin]
    assert f"ghcr.io/astral-sh/uv:{locked}" in README.read_text()


# --- The Dockerfile with a real engine: podman build, run, debug, kube play ----------------------
# Recipe of .ci/run: .ci/container-setup.sh installs podman and local stand-ins of the base images;
# CONTAINERS_CONF selects its containers.conf. Names carry the `lecture06-` prefix: other tests
# (hw2) build and run images on the same engine.

CONTAINERS_CONF = Path("/etc/containers/mlops-course.conf")
IMAGE = "localhost/lecture06-churn-service:test"
BASE_IMAGES = ("docker.io/library/python:3.11-slim", "ghcr.io/astral-sh/uv:0.13.9")
UV_CACHE = Path(tempfile.gettempdir()) / "mlops-course-uv-cache"  # shared with the hw2 tests


def podman(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run podman with the course's containers.conf; fail the test with its output on error."""
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env and CONTAINERS_CONF.is_file():
        env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    done = subprocess.run(
        ["podman", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"podman {' '.join(args)}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    """One HTTP GET; (0, error) when nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def wait_for_health(port: int, container: str, seconds: float = 60) -> str:
    """Poll /health until 200; fail with the container's logs if it stops or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        status, body = get(f"http://127.0.0.1:{port}/health")
        if status == 200:
            return body
        running = podman("inspect", "--format", "{{.State.Running}}", container, check=False)
        if running.stdout.strip() != "true" or time.monotonic() > deadline:
            logs = podman("logs", container, check=False)
            pytest.fail(f"no /health ({body}):\n{logs.stdout[-2000:]}{logs.stderr[-2000:]}")
        time.sleep(0.3)


@dataclass
class BuiltImage:
    seconds: float
    context: Path


@pytest.fixture(scope="module")
def engine(require_tool: Callable[[str], str]) -> None:
    """podman and the base images (stand-ins from .ci/container-setup.sh when no registry)."""
    require_tool("podman")
    missing = [b for b in BASE_IMAGES if podman("image", "exists", b, check=False).returncode]
    if missing:
        message = f"needs base images {missing}: run .ci/container-setup.sh as root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def image(engine: None, tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    """The lecture's Dockerfile built once, offline: dependencies come from a uv cache filled here."""
    context = load("build_context").assemble(tmp_path_factory.mktemp("lecture06") / "context")
    fill = subprocess.run(
        ["uv", "sync", "--frozen", "--no-dev", "--no-editable", "--quiet"],
        cwd=context,
        env={
            **os.environ,
            "UV_CACHE_DIR": str(UV_CACHE),
            "UV_PROJECT_ENVIRONMENT": str(tmp_path_factory.mktemp("prefill") / "venv"),
            "UV_PYTHON_DOWNLOADS": "never",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert fill.returncode == 0, fill.stderr[-2000:]
    started = time.monotonic()
    podman(
        "build", "--format", "docker", "--network", "none",
        "--volume", f"{UV_CACHE}:/root/.cache/uv", "--tag", IMAGE, str(context),
        timeout=300,
    )  # fmt: skip
    return BuiltImage(time.monotonic() - started, context)


def test_image_is_built_from_the_lecture_dockerfile(image: BuiltImage) -> None:
    inspected = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    assert inspected["Config"]["User"] == "10001:10001"
    assert inspected["Config"]["Cmd"][:2] == ["uvicorn", "churn_service.app:app"]
    assert inspected["Healthcheck"]["Test"][0] == "CMD"  # kept by --format docker
    # The runtime stage holds the virtualenv and the model, not uv or the source tree.
    listing = podman("run", "--rm", "--network", "none", IMAGE, "sh", "-c",
                     "ls /app /app/models; command -v uv || echo no-uv").stdout  # fmt: skip
    assert "churn.onnx" in listing and "no-uv" in listing and "churn_service" not in listing


def test_build_cache_reuses_layers_and_rebuilds_only_after_the_edit(
    image: BuiltImage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real layer caching: each edit reruns only its own instruction and the ones after it."""
    if "CONTAINERS_CONF" not in os.environ and CONTAINERS_CONF.is_file():
        monkeypatch.setenv("CONTAINERS_CONF", str(CONTAINERS_CONF))
    module = load("build_cache")
    context = tmp_path / "context"
    shutil.copytree(image.context, context)
    tag = f"localhost/lecture06-cache-demo:{uuid.uuid4().hex[:8]}"
    try:
        # The fixture has just built this context: it is the first build.
        builds = module.run_scenarios(
            context, tag, UV_CACHE, names=("edit a notebook", "edit app code"), first_build=False
        )
    finally:
        podman("rmi", "--force", tag, check=False)
    print(f"first build {image.seconds:.1f} s\n{module.report(builds)}")

    def ran(name: str) -> list[str]:
        return [f"{s.stage}:{s.keyword} {s.instruction.split()[1]}" for s in builds[name].rebuilt]

    # An ignored file changes nothing: a second build reuses every layer.
    assert ran("edit a notebook") == []
    # App code: the builder reruns from the code copy on, the runtime from the venv copy on; the
    # dependency install and the runtime's user setup come from the cache.
    assert ran("edit app code") == [
        "1:COPY churn_service/", "1:RUN uv", "2:COPY --from=builder", "2:COPY models/",
        "2:USER 10001:10001", "2:EXPOSE 8000", "2:HEALTHCHECK --interval=15s", "2:CMD [\"uvicorn\",",
    ]  # fmt: skip
    assert module.dependency_step(builds["edit app code"]).cached
    # Reusing layers is what makes the rebuild cheap: the cached build beats the code edit's.
    assert builds["edit a notebook"].seconds < builds["edit app code"].seconds


def test_retraining_changes_the_model_bytes_but_not_the_graph(tmp_path: Path) -> None:
    """The build_cache.py scenario that rebuilds only `COPY models/` and the steps after it."""
    import onnx

    context = tmp_path / "context"
    load("build_context").export_model(context / "models" / "churn.onnx")
    before = (context / "models" / "churn.onnx").read_bytes()
    load("build_cache").retrain_model(context, "marker")
    after = context / "models" / "churn.onnx"
    assert after.read_bytes() != before
    onnx.checker.check_model(str(after))
    assert onnx.load(after).graph == onnx.load_from_string(before).graph


def test_container_serves_and_the_debugging_walkthrough_works(image: BuiltImage) -> None:
    name, port = f"lecture06-api-{uuid.uuid4().hex[:8]}", free_port()
    podman("run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8000", IMAGE)
    try:
        assert json.loads(wait_for_health(port, name)) == {"status": "ok"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/predict",
            data=json.dumps(CUSTOMER).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.loads(response.read())
        assert 0.5 < answer["churn_probability"] < 1 and answer["churn"] is True
        # 1. logs: what the process printed (stdout/stderr of PID 1's tree).
        logs = podman("logs", name)
        assert "loading model from /app/models/churn.onnx" in logs.stdout + logs.stderr
        # 2. exec: a command inside the running container, as its user, with its environment.
        assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        assert podman("exec", name, "printenv", "MODEL_PATH").stdout.strip().endswith("churn.onnx")
        # 3. inspect: state, configuration, health.
        state = json.loads(podman("inspect", name).stdout)[0]["State"]
        assert state["Running"] is True
        assert podman("healthcheck", "run", name, check=False).returncode == 0
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)


def test_debugging_a_container_that_exits_at_start(image: BuiltImage) -> None:
    name = f"lecture06-broken-{uuid.uuid4().hex[:8]}"
    podman("run", "--name", name, "--network", "none", "--env", "MODEL_PATH=/app/models/missing.onnx",
           IMAGE, check=False, timeout=90)  # fmt: skip
    try:
        state = json.loads(podman("inspect", name).stdout)[0]["State"]
        # One process per container: the failure is the container's exit code (with --workers 2,
        # uvicorn's supervisor exited 0 here and hid it).
        assert state["Running"] is False and state["ExitCode"] != 0
        logs = podman("logs", name)
        text = logs.stdout + logs.stderr
        assert "NO_SUCHFILE" in text and "missing.onnx" in text
        assert "Application startup failed" in text
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)


def test_rendering_for_podman_expands_secrets_like_the_kubelet() -> None:
    configmap, deployment = load("kube_local").render("localhost/x:1", 18000, "lecture06-")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["DATABASE_URL"] == "postgresql://churn:change-me@churn-db:5432/churn"
    assert container["ports"][0]["hostIP"] == "127.0.0.1"
    assert deployment["metadata"]["name"] == "lecture06-churn-api"
    assert configmap["data"]["MODEL_PATH"] == "/app/models/churn.onnx"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True  # left as written


def test_kube_play_runs_the_manifests(image: BuiltImage, tmp_path: Path) -> None:
    port = free_port()
    documents = load("kube_local").render(IMAGE, port, name_prefix="lecture06-")
    manifest = tmp_path / "play.yaml"
    manifest.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    try:
        podman("kube", "play", str(manifest), timeout=90)
        container = "lecture06-churn-api-pod-0-api"
        assert json.loads(wait_for_health(port, container)) == {"status": "ok"}
        # The ConfigMap and the Secret arrived as environment variables.
        printed = podman("exec", container, "printenv", "LOG_LEVEL", "DATABASE_URL").stdout.split()
        assert printed == ["info", "postgresql://churn:change-me@churn-db:5432/churn"]
        # The securityContext is enforced: numeric non-root user, read-only root filesystem.
        assert podman("exec", container, "id", "-u").stdout.strip() == "10001"
        touch = podman("exec", container, "touch", "/app/x", check=False)
        assert touch.returncode != 0 and "Read-only file system" in touch.stderr
    finally:
        podman("kube", "down", str(manifest), check=False, timeout=90)
    assert podman("pod", "exists", "lecture06-churn-api-pod-0", check=False).returncode != 0


CUSTOMER = {
    "female": 1, "senior_citizen": 0, "partner": 0, "dependents": 0, "phone_service": 1,
    "paperless_billing": 1, "tenure": 1, "monthly_charges": 85.0, "total_charges": 85.0,
    "multiple_lines": "No", "internet_service": "Fiber optic", "online_security": "No",
    "online_backup": "No", "device_protection": "No", "tech_support": "No", "streaming_tv": "No",
    "streaming_movies": "No", "contract": "Month-to-month", "payment_method": "Electronic check",
}  # fmt: skip
