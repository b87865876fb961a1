"""Helpers for the hw1 FastAPI solution/starter tests: paths, subprocesses, a real uvicorn server.

Loaded by path from the test modules (the repository runs pytest with --import-mode=importlib,
so test directories are not packages on sys.path).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HW1 = ROOT / "homework" / "hw1_api"
SOLUTION = HW1 / "solution"
STARTER = HW1 / "starter"
SPEC = HW1 / "README.md"
CONTRACT_PATH = ROOT / "grader" / "contracts" / "hw1.json"
PUBLIC_DIR = ROOT / "grader" / "suites" / "hw1" / "public"
PUBLIC_TESTS = PUBLIC_DIR / "test_public_api.py"
TRAIN_CSV = ROOT / "data" / "train.csv"
RUFF_CONFIG = ROOT / "grader" / "policy" / "ruff.toml"
BIN_DIR = Path(sys.executable).parent

# What must be identical to the canonical files, relative to a student repository's root.
CANONICAL_COPIES: dict[str, Path] = {
    "data/train.csv": TRAIN_CSV,
    "tests/public/contract.json": CONTRACT_PATH,
    "tests/public/test_public_api.py": PUBLIC_TESTS,
}

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
IGNORE = shutil.ignore_patterns(
    ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "*.pyc", "schemathesis-report"
)


def clean_env(**extra: str) -> dict[str, str]:
    """This interpreter's bin first on PATH, no pytest variables leaking into children."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PATH"] = os.pathsep.join([str(BIN_DIR), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the homework trees
    env.update(extra)
    return env


def run(
    argv: list[str], cwd: Path, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion with a bounded time, capturing its output."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env=clean_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """ruff with the course's configuration (the submission's own settings ignored)."""
    argv = [sys.executable, "-m", "ruff", *args, "--no-cache", "--config", str(RUFF_CONFIG), "."]
    return run(argv, cwd)


def copy_repo(source: Path, destination: Path) -> Path:
    """A clean copy of a student repository (no caches, no venv)."""
    shutil.copytree(source, destination, ignore=IGNORE)
    return destination


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One request with a raw body (sent as application/json); (status, parsed JSON)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    return status, json.loads(payload)


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def uvicorn_server(repo: Path, startup_timeout: float = 60) -> Iterator[str]:
    """``uvicorn app.main:app`` from ``repo`` with this interpreter on 127.0.0.1; yields its URL."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            argv,
            cwd=repo,
            env=clean_env(PYTHONPATH=str(repo)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-3000:]
                    raise RuntimeError(f"uvicorn in {repo} did not become healthy:\n{output}")
                try:
                    with OPENER.open(url + "/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                time.sleep(0.1)
            yield url
        finally:
            _stop(process)
