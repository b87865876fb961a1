"""``podman kube play`` of the rendered app Deployment (with its ConfigMaps and Secrets) in the job's namespace.

The played copy runs the image the grader built, on the job's network (``hostNetwork`` under
``nsenter --net``), with ``DATABASE_URL`` set to the job's database; probes are dropped from the
copy because podman drives them with systemd timers, which these machines do not have (the grader
asks ``/health`` itself). One replica, no init containers (the container stage has migrated the
job's database already), Secret references inlined from the rendered Secrets (podman 4.3 cannot
read a Secret object from the same YAML), no port mappings (host networking has none).
"""

from __future__ import annotations

import base64
import copy
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from grader.containers.engine import podman_env
from grader.containers.kube import Rendered, app_workload, pod_spec
from grader.sandbox import netns

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def played_manifest(
    rendered: Rendered, image: str, database_url: str | None, job: str = ""
) -> list[dict[str, Any]]:
    """The app Deployment (rewritten as described above), its ConfigMaps and its Secrets.

    ``job`` suffixes the Deployment's name: podman names the pod after it, and pods share one
    podman store, so two jobs playing the same manifest at once would otherwise collide.
    """
    app = app_workload(rendered)
    if app is None:
        return []
    deployment = copy.deepcopy(app)
    if job:
        metadata = deployment.setdefault("metadata", {})
        metadata["name"] = f"{metadata.get('name', 'app')}-{job}"[:63].rstrip("-")
    deployment["spec"]["replicas"] = 1
    spec = pod_spec(deployment)
    spec["hostNetwork"] = True
    # podman 4.3 races removing a "once" init container that still runs; the job's database was
    # migrated by the container stage already, so the played pod starts without its init step.
    spec.pop("initContainers", None)
    secrets = _secret_values(rendered)
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        _inline_secrets(container, secrets)
        container["image"] = image
        container["imagePullPolicy"] = "Never"
        for probe in PROBES:
            container.pop(probe, None)
        container.pop("ports", None)  # port mappings need a bridge; hostNetwork has none
        if database_url:
            env = [e for e in container.get("env") or [] if e.get("name") != "DATABASE_URL"]
            container["env"] = [*env, {"name": "DATABASE_URL", "value": database_url}]
    configmaps = copy.deepcopy(rendered.of_kind("ConfigMap"))
    for obj in (deployment, *configmaps):
        (obj.setdefault("metadata", {})).pop("namespace", None)
    return [*configmaps, deployment]


def _secret_values(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Each rendered Secret's decoded data (the grader's random values for generated ones)."""
    values: dict[str, dict[str, str]] = {}
    for secret in rendered.of_kind("Secret"):
        data = {
            k: base64.b64decode(v).decode(errors="replace")
            for k, v in (secret.get("data") or {}).items()
        }
        data.update(secret.get("stringData") or {})
        values[(secret.get("metadata") or {}).get("name", "")] = data
    return values


def _inline_secrets(container: dict[str, Any], secrets: dict[str, dict[str, str]]) -> None:
    """Secret references as literal env values: podman 4.3's kube play cannot read a Secret object
    from the same YAML (it expects a podman secret holding JSON)."""
    env = []
    for source in container.pop("envFrom", None) or []:
        if "secretRef" in source:
            data = secrets.get(source["secretRef"].get("name", ""), {})
            env += [{"name": k, "value": v} for k, v in data.items()]
        else:
            container.setdefault("envFrom", []).append(source)
    for entry in container.get("env") or []:
        ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            value = secrets.get(ref.get("name", ""), {}).get(ref.get("key", ""), "")
            entry = {"name": entry["name"], "value": value}
        env.append(entry)
    container["env"] = env


def play(
    objects: list[dict[str, Any]], workdir: Path, namespace: str | None, port: int, timeout_s: float
) -> str | None:
    """Play, wait for ``GET /health`` 200 on ``port``, tear down: None, or what went wrong."""
    podman = shutil.which("podman")
    if podman is None:
        return "skipped: podman is not installed"
    manifest = workdir / "played.yaml"
    manifest.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    prefix = (
        [shutil.which("nsenter") or "nsenter", f"--net=/var/run/netns/{namespace}"]
        if namespace
        else []
    )
    env = podman_env()
    started = subprocess.run(
        [*prefix, podman, "kube", "play", "--start", str(manifest)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    try:
        if started.returncode != 0:
            return f"podman kube play failed: {(started.stderr or started.stdout).strip()[-400:]}"
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                status = netns.call_in(
                    namespace,
                    lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code,
                )
                if status == 200:
                    return None
                last = f"answered {status}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.5)
        return f"the played Deployment's GET /health never answered 200 within {timeout_s:.0f} s ({last})"
    finally:
        subprocess.run(
            [*prefix, podman, "kube", "down", str(manifest)],
            capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip
