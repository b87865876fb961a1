"""The serve command from pyproject.toml starts a real server that answers over HTTP."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import CUSTOMER, ROOT, assert_conforms


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_command_starts_the_service(tmp_path: Path) -> None:
    serve = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mlops-course"]["serve"]
    port = free_port()
    argv = [
        a.replace("{host}", "127.0.0.1").replace("{port}", str(port)) for a in shlex.split(serve)
    ]
    executable = Path(sys.executable).parent / argv[0]
    if not executable.exists():
        pytest.skip(f"{argv[0]} is not installed in this environment")
    argv[0] = str(executable)
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port))
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if request(f"{base}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no /health within 30 s"
            time.sleep(0.2)
        status, body = request(f"{base}/predict", CUSTOMER)
        assert status == 200
        assert_conforms("Prediction", body)
        status, body = request(f"{base}/predict", {"tenure": -1})
        assert status == 422
        assert_conforms("ValidationError", body)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
