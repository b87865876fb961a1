"""The serve command for real: gunicorn's workers share their metrics, and every line is JSON.

One module-scoped server (``python -m app.serve``, two workers) on its own database; the unit
tests of the pieces (the metrics directory, gunicorn's hooks) need no server.
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app import serve

ROOT = Path(__file__).resolve().parents[1]


def test_a_given_metrics_directory_is_emptied(tmp_path) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    env = {serve.METRICS_DIR: str(tmp_path)}
    assert serve.metrics_directory(env) == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert serve.OWNED_METRICS_DIR not in env


def test_without_one_a_temporary_directory_is_made_and_owned() -> None:
    env: dict[str, str] = {}
    made = serve.metrics_directory(env)
    try:
        assert made.is_dir() and env[serve.METRICS_DIR] == str(made)
        assert env[serve.OWNED_METRICS_DIR] == "1"
    finally:
        made.rmdir()


def test_the_gunicorn_command_uses_the_config_file() -> None:
    argv = serve.gunicorn_command("127.0.0.1", 8123)
    assert argv[argv.index("--config") + 1] == str(ROOT / "gunicorn.conf.py")
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[-1] == "app.main:create_app()"


def test_gunicorn_hooks_clean_up_after_workers(tmp_path, monkeypatch) -> None:
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["logconfig_dict"]["root"]["handlers"] == ["stdout"]
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    monkeypatch.setenv(serve.METRICS_DIR, str(tmp_path))
    config["child_exit"](None, SimpleNamespace(pid=4242))
    assert [p.name for p in tmp_path.iterdir()] == ["counter_4242.db"]  # counts survive
    monkeypatch.delenv(serve.OWNED_METRICS_DIR, raising=False)
    config["on_exit"](None)
    assert tmp_path.is_dir()  # a directory we were given is left alone
    monkeypatch.setenv(serve.OWNED_METRICS_DIR, "1")
    config["on_exit"](None)
    assert not tmp_path.exists()


# --- the real server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, data: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def server(postgres, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The service as ``python -m app.serve`` runs it; its base URL and its output file."""
    output = tmp_path_factory.mktemp("serve") / "output.log"
    port = free_port()
    env = dict(os.environ, DATABASE_URL=postgres.new_database("served"))
    env.pop(serve.METRICS_DIR, None)
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if call(url + "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, output.read_text()
            time.sleep(0.1)
        yield url, output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_workers_add_up_their_counts(server, customer) -> None:
    url, _ = server
    for _ in range(12):
        assert call(url + "/predict", customer)[0] == 200
    call(url + "/nope")
    text = call(url + "/metrics")[1].decode()
    assert 'http_requests_total{method="POST",route="/predict",status="200"} 12.0' in text
    assert 'http_requests_total{method="GET",route="__unmatched__",status="404"} 1.0' in text
    assert 'predictions_total{outcome="churn"} 12.0' in text
    assert "http_requests_in_progress 0.0" in text
    assert 'route="/metrics"' not in text


def test_everything_the_server_writes_is_json(server) -> None:
    url, output = server
    call(url + "/health", headers={"X-Request-ID": "served-1"})
    time.sleep(0.3)
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    loggers = {line["logger"] for line in lines}
    assert {"churn.serve", "gunicorn.error", "churn.http"} <= loggers
    [mine] = [line for line in lines if line["request_id"] == "served-1"]
    assert (mine["message"], mine["route"], mine["status"]) == ("request finished", "/health", 200)
