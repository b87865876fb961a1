"""Start a service under the sandbox and wait until ``GET /health`` answers 200."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from grader.sandbox import netns
from grader.sandbox.limits import DEFAULT_LIMITS, Limits
from grader.sandbox.runner import RunningProcess, Sandbox
from grader.submission import fill_placeholders

T = TypeVar("T")
HOST = "127.0.0.1"
NETNS_PORT = 18000


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


def free_port() -> int:
    """A port free on the host loopback right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class StartupError(Exception):
    """The service never became healthy; the message is feedback for the student."""


def start_service(
    box: Sandbox,
    serve: list[str],
    startup_timeout: float,
    limits: Limits = DEFAULT_LIMITS,
    env_extra: dict[str, str] | None = None,
) -> Service:
    """Start ``serve`` (placeholders filled) and poll ``/health`` until 200, death or the timeout."""
    port = NETNS_PORT if box.netns else free_port()
    argv = fill_placeholders(serve, HOST, port)
    env = box.env({"HOST": HOST, "PORT": str(port), **(env_extra or {})})
    try:
        process = box.start(argv, env=env, limits=limits)
    except OSError as exc:
        raise StartupError(f"could not start `{' '.join(argv)}`: {exc}") from exc
    service = Service(process, f"http://{HOST}:{port}", port, box.netns)

    def wait() -> str | None:
        deadline = time.monotonic() + startup_timeout
        last = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not process.alive():
                    return f"the service exited with code {process.popen.returncode} before becoming healthy"
                try:
                    response = client.get(f"{service.base_url}/health")
                    if response.status_code == 200:
                        return None
                    last = f"GET /health answered {response.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                time.sleep(0.2)
        return f"GET /health did not answer 200 within {startup_timeout:g} s (last: {last})"

    problem = service.call(wait)
    if problem:
        process.stop()
        output = process.output.last_lines(20)
        hint = (
            f"\nThe grader started `{' '.join(argv)}` and expected it to listen on {HOST}:{port} "
            "(the {port} placeholder / $PORT). A hard-coded port or host is a common cause."
        )
        raise StartupError(problem + hint + (f"\nLast output:\n{output}" if output else ""))
    return service
