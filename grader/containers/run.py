"""Run the built image in the job's network namespace against the job's database, and look at it."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from grader.containers.engine import Engine
from grader.containers.policy import load_container_policy
from grader.sandbox import netns


@dataclass
class Running:
    """A started container and the port its service listens on (inside the job's namespace)."""

    container: Any  # docker.models.containers.Container
    port: int

    @property
    def base_url(self) -> str:
        """The service's address, valid inside the job's network namespace."""
        return f"http://127.0.0.1:{self.port}"

    def logs(self, lines: int = 20) -> str:
        """The container's last log lines."""
        try:
            return self.container.logs(tail=lines).decode(errors="replace").strip()
        except Exception:  # gone already
            return ""


def image_port(image: Any, default: int = 8000) -> int:
    """The first TCP port the image EXPOSEs (the contract's 8000 when it exposes none)."""
    exposed = (image.attrs.get("Config") or {}).get("ExposedPorts") or {}
    ports = sorted(int(p.split("/")[0]) for p in exposed if p.endswith("/tcp"))
    return ports[0] if ports else default


def start(engine: Engine, image: Any, database_url: str) -> Running:
    """Start the image detached, on the engine's (the job's) network, with ``DATABASE_URL``, within the policy's limits."""
    limits = load_container_policy()["run"]
    container = engine.client.containers.run(
        image.id,
        detach=True,
        name=f"grader-{uuid.uuid4().hex[:10]}",
        network_mode="host",
        environment={"DATABASE_URL": database_url},
        mem_limit=limits["memory"],
        nano_cpus=int(float(limits["cpus"]) * 1e9),
        pids_limit=int(limits["pids"]),
    )
    return Running(container, image_port(image))


def wait_healthy(running: Running, namespace: str | None, timeout_s: float) -> str | None:
    """Poll ``GET /health`` until 200; the reason it never came otherwise."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        running.container.reload()
        if running.container.status not in ("created", "running"):
            return f"the container exited ({running.container.status}); its log ends:\n{running.logs()}"

        def probe() -> int:
            return httpx.get(f"{running.base_url}/health", timeout=2).status_code

        try:
            status = netns.call_in(namespace, probe)
            if status == 200:
                return None
            last = f"answered {status}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    return (
        f"GET /health never answered 200 within {timeout_s:.0f} s ({last}); log:\n{running.logs()}"
    )


def process_uid(running: Running) -> int | None:
    """The real uid of the container's main process, read from /proc (None if not visible)."""
    running.container.reload()
    pid = (running.container.attrs.get("State") or {}).get("Pid")
    if not pid:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
    return int(found.group(1)) if found else None


def healthcheck_command(engine: Engine, image: Any) -> list[str] | None:
    """The image's HEALTHCHECK as an argv (None when it has none).

    podman keeps it (Docker's image format) but its Docker-compatible inspect leaves it out:
    podman's own endpoint reports it.
    """
    config = image.attrs.get("Config") or {}
    found = config.get("Healthcheck") or image.attrs.get("Healthcheck")
    if found is None and engine.kind == "podman":
        api = engine.client.api
        response = api.get(f"{api.base_url}/v4.0.0/libpod/images/{image.id}/json")
        found = response.json().get("Healthcheck") if response.ok else None
    test = (found or {}).get("Test") or []
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return list(test[1:]) if test[0] == "CMD" else list(test)


def run_healthcheck(running: Running, argv: list[str]) -> tuple[int, str]:
    """Run the health check command in the container (no systemd timer drives it here): exit code, output."""
    result = running.container.exec_run(argv, demux=False)
    return int(result.exit_code), (result.output or b"").decode(errors="replace")[-300:]


def stop(running: Running) -> None:
    """Remove the container, running or not."""
    with contextlib.suppress(Exception):  # already gone
        running.container.remove(force=True)
