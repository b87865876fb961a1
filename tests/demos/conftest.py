"""Fixtures of the demo tests: a real reference service, a closed port, the apps' paths."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demos._browser import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demos"
SOLUTION = ROOT / "homework" / "hw1_api" / "solution"


@pytest.fixture(scope="session")
def demo_path() -> Path:
    """The demos directory (AppTest.from_file takes absolute paths)."""
    return DEMOS


@pytest.fixture(scope="session")
def solution_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hw1 reference solution under uvicorn on 127.0.0.1:<free port>; yields its base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("solution") / "uvicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the homework tree
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=SOLUTION,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the solution exited early:\n{log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the solution did not get healthy:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop(process)


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
