"""A Docker-compatible API for one grading job: podman's API service in the job's network namespace, or Docker.

With podman (this course's machines, and GitHub's Ubuntu runners), the grader starts
``podman system service`` for the job *inside the job's network namespace* (``nsenter --net``:
unlike ``ip netns exec`` it leaves /sys and the cgroup mounts alone). Builds and containers with
host networking then live in that namespace: RUN steps and the service see the job's loopback
(its database, the wheel server) and nothing else. This matters because podman 4.3's
Docker-compatible build endpoint ignores ``networkmode``: a build through a service in the host's
namespace reaches the host's loopback (measured). With ``DOCKER_HOST`` set (an instructor with
Docker only) the Docker engine is used as it is, with its own default build network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTAINERS_CONF = Path("/etc/containers/mlops-course.conf")  # written by .ci/container-setup.sh


@dataclass
class Engine:
    """A connected client and what it is."""

    client: Any  # docker.DockerClient
    kind: str  # "podman" or "docker"
    confined: bool  # builds and containers live in the job's network namespace
    process: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        """Close the client and stop the API service this job started."""
        try:
            self.client.close()
        finally:
            if self.process is not None:
                _stop(self.process)

    def abort(self) -> None:
        """Stop the API service now (a build over its time limit): its stream ends."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()


def podman_env() -> dict[str, str]:
    """The environment for podman: the course's containers.conf when it exists and none is chosen."""
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env and CONTAINERS_CONF.is_file():
        env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    return env


def connect(socket_dir: Path, netns: str | None, timeout_s: float = 30.0) -> Engine | str:
    """An :class:`Engine` for the job, or the reason there is none (a ``skipped:`` feedback)."""
    try:
        import docker
    except ImportError:
        return "the Docker SDK for Python (`docker`) is not installed on the grader"
    if os.environ.get("DOCKER_HOST"):
        try:
            client = docker.from_env(timeout=600)
            client.version()
        except Exception as exc:  # the SDK raises many kinds: any means "no engine"
            return f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer ({exc})"
        return Engine(client, "docker", confined=False)
    podman = shutil.which("podman")
    if podman is None:
        return "no container engine: podman is not installed and DOCKER_HOST is not set"
    if os.geteuid() != 0:
        return "no container engine: podman's API service for a job needs root on the grader"
    socket_dir.mkdir(parents=True, exist_ok=True)
    socket = socket_dir / "podman.sock"
    argv = [podman, "system", "service", "--time=0", f"unix://{socket}"]
    nsenter = shutil.which("nsenter")
    if netns is not None:
        if nsenter is None:
            return "no container engine: nsenter (util-linux) is missing, so podman cannot join the job's network"
        argv = [nsenter, f"--net=/var/run/netns/{netns}", *argv]
    process = subprocess.Popen(
        argv,
        env=podman_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        engine = _wait_for_service(docker, process, socket, netns is not None, timeout_s)
    except BaseException:
        _stop(process)
        raise
    if isinstance(engine, str):
        _stop(process)
    return engine


def _wait_for_service(
    docker: Any, process: subprocess.Popen[bytes], socket: Path, confined: bool, timeout_s: float
) -> Engine | str:
    """The client once the service answers, or why it did not."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = (process.stderr.read() if process.stderr else b"").decode(errors="replace")
            return f"podman system service exited: {error.strip()[-300:]}"
        if socket.exists():
            try:  # the client asks the server's API version as it is made
                client = docker.DockerClient(base_url=f"unix://{socket}", timeout=600)
                return Engine(client, "podman", confined=confined, process=process)
            except docker.errors.DockerException:  # not listening yet
                pass
        time.sleep(0.2)
    return f"podman system service did not answer within {timeout_s:.0f} s"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
