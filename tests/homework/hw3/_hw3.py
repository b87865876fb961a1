"""Helpers for the hw3 course tests: paths, and the solution served with its output captured.

Everything else (subprocesses, a real PostgreSQL, ruff with the course's configuration) is the
hw2 tests' helpers: the hw3 repositories are hw2 repositories grown by one homework.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.homework.hw2 import _hw2

ROOT = _hw2.ROOT
HW3 = ROOT / "homework" / "hw3_ci_monitoring"
SOLUTION = HW3 / "solution"
STARTER = HW3 / "starter"
SPEC = HW3 / "README.md"
CONTRACT_PATH = ROOT / "grader" / "contracts" / "hw3.json"
HW2_CONTRACT_PATH = _hw2.CONTRACT_PATH
CONTRACT: dict[str, Any] = json.loads(CONTRACT_PATH.read_text())
OPENER = _hw2.OPENER


@dataclass
class Service:
    """A running service: its base URL, its process and its captured standard output."""

    url: str
    process: subprocess.Popen[bytes]
    output: IO[bytes]

    def log_lines(self) -> list[str]:
        """What the service printed so far, line by line."""
        self.output.flush()
        self.output.seek(0)
        return self.output.read().decode("utf-8", "replace").splitlines()

    def stop(self) -> None:
        """Stop it now (SIGTERM to its process group, then SIGKILL)."""
        _hw2._stop(self.process)


@contextmanager
def served(repo: Path, database_url: str, startup_timeout: float = 90) -> Iterator[Service]:
    """The repository's serve command on 127.0.0.1 with ``DATABASE_URL``, output captured."""
    port = _hw2.free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            _hw2.serve_argv(repo, port),
            cwd=repo,
            env=_hw2.clean_env(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(port)),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        service = Service(url, process, output)
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = "\n".join(service.log_lines()[-30:])
                    raise RuntimeError(f"serve in {repo} did not become healthy:\n{tail}")
                try:
                    with OPENER.open(url + "/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                time.sleep(0.1)
            yield service
        finally:
            service.stop()


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request; (status, response headers with lower-case names, raw body)."""
    sent = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(
        base_url + path, data=body, method=method, headers=sent | (headers or {})
    )
    try:
        with OPENER.open(req, timeout=timeout) as response:
            status, got, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, got, payload = exc.code, exc.headers, exc.read()
    return status, {k.lower(): v for k, v in got.items()}, payload
