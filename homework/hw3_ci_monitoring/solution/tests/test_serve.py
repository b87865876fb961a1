"""The serve, migrate and dev commands as the grader, the container and Kubernetes run them:
real processes, a real uvicorn on 127.0.0.1, a real PostgreSQL.

* ``serve`` without ``DATABASE_URL`` (or with a malformed one) stops at once with one line;
* it starts against an empty database, and a second start changes nothing;
* stored predictions survive a restart of the service;
* ``migrate`` brings a database to the latest schema and exits.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import make_engine
from app.migrations import head_revision

ROOT = Path(__file__).resolve().parent.parent
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env | extra


def run_app(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_argv(port: int) -> list[str]:
    """The pyproject's serve command, filled in as the grader does."""
    command = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mlops-course"]["serve"]
    argv = command.replace("{host}", "127.0.0.1").replace("{port}", str(port)).split()
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


def http(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@contextmanager
def served(database_url: str) -> Iterator[str]:
    """``serve`` as a real process on a free port; its base URL once /health answers 200."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            serve_argv(port),
            cwd=ROOT,
            env=environment(DATABASE_URL=database_url),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"serve did not become healthy:\n{log.read().decode()[-3000:]}")
                try:
                    if http(url + "/health")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


def test_serve_without_database_url_stops_with_one_clear_line() -> None:
    result = run_app("serve", "--port", str(free_port()))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL is not set" in lines[0]
    assert "postgresql+psycopg://" in lines[0]


def test_malformed_database_url_is_refused_without_echoing_it() -> None:
    result = run_app("serve", DATABASE_URL="mysql://root:hunter2@db/churn")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "postgresql+psycopg://" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_plain_postgresql_urls_mean_the_same() -> None:
    url = "postgresql://u:p@h:5432/d"
    assert Settings(database_url=url).database_url == "postgresql+psycopg://u:p@h:5432/d"


def test_migrate_brings_an_empty_database_to_head(fresh_database_url: str) -> None:
    result = run_app("migrate", DATABASE_URL=fresh_database_url)
    assert result.returncode == 0, result.stderr
    assert f"revision {head_revision()}" in result.stdout
    again = run_app("migrate", DATABASE_URL=fresh_database_url)
    assert again.returncode == 0, again.stderr


def test_migrate_without_database_url_fails_clearly() -> None:
    result = run_app("migrate")
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr


def test_serve_starts_on_an_empty_database_and_data_survives_a_restart(
    fresh_database_url: str, customer: dict
) -> None:
    with served(fresh_database_url) as url:
        status, first = http(url + "/predict", "POST", customer)
        assert status == 200
        status, batch = http(url + "/predict/batch", "POST", {"customers": [customer] * 3})
        assert status == 200
        status, page_before = http(url + "/predictions")
        assert status == 200 and len(page_before["items"]) == 4

    with served(fresh_database_url) as url:  # the second start: migrations are a no-op
        status, page_after = http(url + "/predictions")
        assert status == 200
        assert page_after == page_before
        status, record = http(url + f"/predictions/{first['id']}")
        assert status == 200 and record["churn_probability"] == first["churn_probability"]
        status, later = http(url + "/predict", "POST", customer)
        assert later["id"] > max(p["id"] for p in batch["predictions"])

    engine = make_engine(Settings(database_url=fresh_database_url))
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [v for (v,) in versions] == [head_revision()]


def test_serve_exits_when_the_database_never_answers(tmp_path: Path) -> None:
    """No database at the address: the service gives up after the start-up timeout."""
    url = f"postgresql+psycopg://nobody@/churn?host={tmp_path}"
    started = time.monotonic()
    result = run_app(
        "serve", "--port", str(free_port()), DATABASE_URL=url, CHURN_DB_STARTUP_TIMEOUT_S="2"
    )
    assert result.returncode == 3
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: the database did not answer within 2 s"), line
    assert time.monotonic() - started < 60  # generous: a loaded machine starts Python slowly
