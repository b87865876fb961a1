"""Start a service under the sandbox and wait until ``GET /health`` answers 200.

Start-up fails fast and precisely: a process that exits is reported at once with its exit code and
last output; in a private network namespace the grader reads the namespace's listening sockets,
so a service that listens on another port than the one it was given is named within seconds.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from grader.sandbox import netns
from grader.sandbox.limits import Limits
from grader.sandbox.runner import RunningProcess, Sandbox
from grader.submission import fill_placeholders

T = TypeVar("T")
HOST = "127.0.0.1"
TCP_LISTEN = "0A"


@dataclass
class Service:
    """A running service and how to reach it from the grader."""

    process: RunningProcess
    base_url: str
    port: int
    netns: str | None

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` where the service's loopback is reachable (inside its network namespace)."""
        return netns.call_in(self.netns, fn)

    def healthy(self, timeout: float = 5.0) -> bool:
        """One health probe."""

        def probe() -> bool:
            try:
                return httpx.get(f"{self.base_url}/health", timeout=timeout).status_code == 200
            except httpx.HTTPError:
                return False

        return self.call(probe)

    def exit_report(self) -> str | None:
        """``exited with code N`` and its last output, if the process has exited; else None."""
        if self.process.alive():
            return None
        return exited_text(self.process)


def exited_text(process: RunningProcess) -> str:
    """What a student needs to know about a process that exited."""
    process.output.join(2)
    output = process.output.last_lines(20)
    text = f"the service exited with code {process.popen.returncode}"
    return text + (f"\nLast output:\n{output}" if output else " (it printed nothing)")


def free_port() -> int:
    """A port free on the host loopback right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state in the network namespace of process ``pid`` (Linux /proc)."""
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == TCP_LISTEN:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class StartupError(Exception):
    """The service never became healthy; the message is feedback for the student."""


def start_service(
    box: Sandbox,
    serve: list[str],
    startup_timeout: float,
    limits: Limits | None = None,
    env_extra: dict[str, str] | None = None,
    wrong_port_grace: float = 3.0,
    known_ports: frozenset[int] = frozenset(),
) -> Service:
    """Start ``serve`` (placeholders filled) and poll ``/health`` until 200, exit, wrong port or timeout.

    ``known_ports`` listen in the namespace without being the service (the job's database).
    """
    port = box.policy.service_port if box.netns else free_port()
    argv = fill_placeholders(serve, HOST, port)
    env = box.env({"HOST": HOST, "PORT": str(port), **(env_extra or {})})
    try:
        process = box.start(argv, env=env, limits=limits)
    except OSError as exc:
        raise StartupError(f"could not start `{' '.join(argv)}`: {exc}") from exc
    service = Service(process, f"http://{HOST}:{port}", port, box.netns)
    command = " ".join(argv)

    def wait() -> str | None:
        started = time.monotonic()
        deadline = started + startup_timeout
        last = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not process.alive():
                    return exited_text(process) + " before becoming healthy"
                try:
                    response = client.get(f"{service.base_url}/health")
                    if response.status_code == 200:
                        return None
                    last = f"GET /health answered {response.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if box.netns and time.monotonic() - started >= wrong_port_grace:
                    others = listening_ports(process.popen.pid) - {port} - known_ports
                    if others and port not in listening_ports(process.popen.pid):
                        shown = ", ".join(str(p) for p in sorted(others))
                        return (
                            f"the service listens on port {shown}, not on the port the grader gave "
                            f"it ({port}). The grader started `{command}`: use the {{port}} "
                            "placeholder (or $PORT) instead of a hard-coded port."
                        )
                time.sleep(0.2)
        return f"GET /health did not answer 200 within {startup_timeout:g} s (last: {last})"

    problem = service.call(wait)
    if problem:
        process.stop()
        if "listens on port" not in problem and "exited with code" not in problem:
            output = process.output.last_lines(20)
            problem += f"\nThe grader started `{command}`." + (
                f"\nLast output:\n{output}" if output else ""
            )
        raise StartupError(problem)
    return service
