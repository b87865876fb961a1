"""Static checks of the submission's Kubernetes manifests: render with kustomize, validate, apply the rules.

``kubectl kustomize`` renders ``k8s/`` offline. A ``secretGenerator`` env file that is not
committed (the course asks for exactly that) is written for the render from its ``.example``
with a random value, so no real password is ever needed.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from grader.containers.dockerfile import untagged_or_latest
from grader.containers.policy import load_container_policy, rule_text

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "Pod")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL", re.IGNORECASE)
DEPLOY_COMMAND = re.compile(r"scripts/deploy\.sh|kubectl\s+apply\s+-k")


@dataclass
class Rendered:
    """The rendered objects, or why there are none."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        """Objects whose ``kind`` is one of ``kinds``."""
        return [o for o in self.objects if o.get("kind") in kinds]


def _kubectl() -> str | None:
    found = shutil.which("kubectl") or str(Path(sys.executable).parent / "kubectl")
    return found if Path(found).exists() else None


def _fill_generator_files(k8s: Path) -> None:
    """Write each missing ``secretGenerator`` env file from its ``.example`` with random values."""
    try:
        kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return
    for generator in kustomization.get("secretGenerator") or []:
        for name in generator.get("envs") or []:
            target = (k8s / name).resolve()
            if target.exists() or k8s.resolve() not in target.parents:
                continue
            example = target.with_name(target.name + ".example")
            keys = []
            if example.is_file():
                keys = [
                    line.partition("=")[0].strip()
                    for line in example.read_text().splitlines()
                    if "=" in line and not line.lstrip().startswith("#")
                ]
            target.write_text("".join(f"{k}={secrets.token_hex(12)}\n" for k in keys))


def render(submission: Path) -> Rendered:
    """``kubectl kustomize k8s/`` of a copy of the submission's directory."""
    k8s = submission / "k8s"
    if not (k8s / "kustomization.yaml").is_file():
        return Rendered(problem="no k8s/kustomization.yaml")
    kubectl = _kubectl()
    if kubectl is None:
        return Rendered(problem="kubectl is not installed on the grader")
    with tempfile.TemporaryDirectory(prefix="grader-k8s-") as tmp:
        copy = Path(tmp) / "k8s"
        shutil.copytree(k8s, copy, symlinks=False)
        _fill_generator_files(copy)
        result = subprocess.run(
            [kubectl, "kustomize", str(copy)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if result.returncode != 0:
        return Rendered(problem=f"kubectl kustomize k8s failed: {result.stderr.strip()[:300]}")
    try:
        objects = [o for o in yaml.safe_load_all(result.stdout) if isinstance(o, dict)]
    except yaml.YAMLError as exc:
        return Rendered(problem=f"the rendered manifests are not YAML: {exc}")
    return Rendered(objects)


def validation_problems(rendered: Rendered) -> list[str]:
    """kubernetes-validate ``--strict`` against the newest schemas it ships."""
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    problems = []
    for obj in rendered.objects:
        name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            problems.append(f"valid: {name}: {where}: {exc.message[:200]}")
        except (
            kubernetes_validate.SchemaNotFoundError,
            kubernetes_validate.InvalidSchemaError,
        ) as exc:
            problems.append(f"valid: {name}: {exc}")
    return problems


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a workload (a Pod's own spec, a CronJob-free template otherwise)."""
    spec = workload.get("spec") or {}
    if workload.get("kind") == "Pod":
        return spec
    return ((spec.get("template") or {}).get("spec")) or {}


def app_workload(rendered: Rendered) -> dict[str, Any] | None:
    """The Deployment whose container has a probe on the liveness path (else the first Deployment)."""
    deployments = rendered.of_kind("Deployment")
    liveness = load_container_policy()["kubernetes"]["liveness_path"]
    for deployment in deployments:
        for container in pod_spec(deployment).get("containers") or []:
            if ((container.get("livenessProbe") or {}).get("httpGet") or {}).get(
                "path"
            ) == liveness:
                return deployment
    return deployments[0] if deployments else None


def _probe_path(container: dict[str, Any], probe: str) -> str | None:
    return ((container.get(probe) or {}).get("httpGet") or {}).get("path")


def _image_name(image: str) -> str:
    return image.split("@")[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def policy_problems(rendered: Rendered, submission: Path, built_image: str | None) -> list[str]:
    """Every broken rule of the ``[kubernetes]`` policy, one line each."""
    policy = load_container_policy()["kubernetes"]
    problems: list[str] = []

    def broken(rule: str, detail: str) -> None:
        problems.append(f"{rule}: {detail} (rule: {rule_text('kubernetes', rule)})")

    app = app_workload(rendered)
    if app is None:
        broken("probes", "no Deployment")
        return problems
    spec = pod_spec(app)
    containers = spec.get("containers") or []
    main = containers[0] if containers else {}
    if _probe_path(main, "livenessProbe") != policy["liveness_path"]:
        broken("probes", f"liveness probe GETs {_probe_path(main, 'livenessProbe')}")
    if _probe_path(main, "readinessProbe") != policy["readiness_path"]:
        broken("probes", f"readiness probe GETs {_probe_path(main, 'readinessProbe')}")
    for workload in rendered.of_kind(*WORKLOADS):
        name = f"{workload['kind']}/{workload.get('metadata', {}).get('name')}"
        pod = pod_spec(workload)
        for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            resources = container.get("resources") or {}
            missing = [
                f"{kind}.{what}"
                for kind in ("requests", "limits")
                for what in ("cpu", "memory")
                if what not in (resources.get(kind) or {})
            ]
            if missing:
                broken("resources", f"{name} container {container.get('name')} lacks {missing}")
            image = str(container.get("image", ""))
            if untagged_or_latest(image):
                broken("no_latest", f"{name} container {container.get('name')}: image {image!r}")
            problems += [
                f"secret_credentials: {name} container {container.get('name')}: {p} "
                f"(rule: {rule_text('kubernetes', 'secret_credentials')})"
                for p in _credential_problems(container)
            ]
    labels = ((app.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    ports = {p.get("name"): p.get("containerPort") for p in main.get("ports") or []}
    matching = [
        s for s in rendered.of_kind("Service")
        if (sel := (s.get("spec") or {}).get("selector")) and all(labels.get(k) == v for k, v in sel.items())
    ]  # fmt: skip
    if not matching:
        broken("service_selector", f"no Service selects the pod labels {labels}")
    elif not any(
        p.get("targetPort") in ports or p.get("targetPort") in ports.values()
        for s in matching
        for p in (s.get("spec") or {}).get("ports") or []
    ):
        broken(
            "service_selector", f"the Service's targetPort is none of the container ports {ports}"
        )
    if built_image:
        image = _image_name(str(main.get("image", "")))
        if image.rsplit("/", 1)[-1] != built_image.rsplit("/", 1)[-1]:
            broken(
                "image_name",
                f"the Deployment runs {image!r}, docker-compose.yml builds {built_image!r}",
            )
    readme = submission / "README.md"
    if not readme.is_file() or not DEPLOY_COMMAND.search(readme.read_text(errors="replace")):
        broken("deploy_command", "README.md names no deploy command")
    return problems


def _credential_problems(container: dict[str, Any]) -> list[str]:
    """Literal credentials in a container's env: a secret-looking name with a value, or a URL password."""
    env = container.get("env") or []
    from_secret = {
        e["name"]
        for e in env
        if isinstance(e, dict) and "secretKeyRef" in (e.get("valueFrom") or {})
    }
    problems = []
    for entry in env:
        if not isinstance(entry, dict) or "value" not in entry:
            continue
        name, value = str(entry.get("name")), str(entry.get("value") or "")
        password = urlsplit(value).password if "://" in value else None
        if password is not None:
            reference = re.fullmatch(r"\$\((\w+)\)", password)
            if not reference or reference.group(1) not in from_secret:
                problems.append(f"{name} holds a literal password")
        elif SECRET_NAME.search(name) and value:
            problems.append(f"{name} is a literal value")
    return problems


def compose_image(submission: Path) -> str | None:
    """The image name docker-compose.yml gives the service it builds (tag dropped)."""
    from grader.containers.compose import find_compose

    path = find_compose(submission)
    if path is None:
        return None
    try:
        services = (yaml.safe_load(path.read_text()) or {}).get("services") or {}
    except (yaml.YAMLError, AttributeError):
        return None
    for service in services.values():
        if isinstance(service, dict) and "build" in service and service.get("image"):
            return _image_name(str(service["image"]))
    return None
