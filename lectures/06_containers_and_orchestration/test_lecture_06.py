"""Tests for lecture 6: the config files are valid and the examples behave as the notes say."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
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


def test_layer_cache_model_shows_why_order_matters() -> None:
    result = load("layer_cache").compare()
    good = result["course Dockerfile + .dockerignore"]
    naive = result["naive Dockerfile, no .dockerignore"]
    assert not good["edit app code"].reinstalls_dependencies
    assert good["add a dependency"].reinstalls_dependencies
    assert not good["retrain the model"].reinstalls_dependencies
    assert good["edit a notebook"].rebuilt == []  # excluded by .dockerignore
    assert all(outcome.reinstalls_dependencies for outcome in naive.values())


def test_dockerfile_parser_handles_continuations() -> None:
    module = load("layer_cache")
    steps = module.parse_dockerfile((EXAMPLES / "Dockerfile").read_text())
    assert [s.stage for s in steps if s.keyword == "FROM"] == ["builder", "runtime"]
    healthcheck = next(s for s in steps if s.keyword == "HEALTHCHECK")
    assert "--retries=3 CMD" in healthcheck.args
    ignore = module.read_dockerignore((EXAMPLES / ".dockerignore").read_text())
    assert module.is_ignored("churn_service/__pycache__/app.cpython-311.pyc", ignore)
    assert not module.is_ignored("churn_service/app.py", ignore)


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


def test_notes_show_the_real_dockerfile() -> None:
    parse = load("layer_cache").parse_dockerfile
    shown = [(s.keyword, s.args) for s in parse(fenced_block("dockerfile"))]
    real = [(s.keyword, s.args) for s in parse((EXAMPLES / "Dockerfile").read_text())]
    assert shown == real


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
