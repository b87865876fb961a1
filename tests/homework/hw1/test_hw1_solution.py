"""The FastAPI reference solution of hw1 (homework/hw1_api/solution).

* its own test suite (including its copy of the public tests) passes, run as a subprocess with
  this repository's interpreter, which has every dependency of the solution;
* the course's public tests pass when run the grader's way (``python -I``, ``--noconftest``,
  from the canonical copy, cwd = the repository);
* it lints clean with the course's ruff configuration;
* its pyproject, lockfile and committed model artefacts are what the grader expects.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from tests.homework.hw1 import _service as svc

SOLUTION: Path = svc.SOLUTION


def _tail(result) -> str:
    return (result.stdout + result.stderr)[-4000:]


def test_solution_own_test_suite_passes(tmp_path: Path) -> None:
    repo = svc.copy_repo(SOLUTION, tmp_path / "solution")
    result = svc.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], repo)
    assert result.returncode == 0, _tail(result)
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 90, _tail(result)
    assert "failed" not in result.stdout.splitlines()[-1]


def test_public_tests_pass_the_graders_way(tmp_path: Path) -> None:
    repo = svc.copy_repo(SOLUTION, tmp_path / "solution")
    pristine = shutil.copytree(svc.PUBLIC_DIR, tmp_path / "pristine")
    argv = [sys.executable, "-I", "-m", "pytest", "--noconftest", "-p", "no:cacheprovider"]
    argv += ["-q", "-c", os.devnull, "--rootdir", str(pristine), str(pristine)]
    result = svc.run(argv, repo, timeout=180)
    assert result.returncode == 0, _tail(result)
    assert re.search(r"\b1[0-9] passed", result.stdout), _tail(result)


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_solution_is_ruff_clean(args: tuple[str, ...]) -> None:
    result = svc.ruff(*args, cwd=SOLUTION)
    assert result.returncode == 0, _tail(result)


def test_pyproject_declares_what_the_grader_needs() -> None:
    pyproject = tomllib.loads((SOLUTION / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["name"] == "churn-service"
    assert project["requires-python"] == ">=3.11"
    runtime = {re.split(r"[\[<>=~ ]", dep)[0] for dep in project["dependencies"]}
    assert runtime == {"fastapi", "uvicorn", "pydantic-settings", "numpy"}, "minimal runtime deps"
    assert any(dep.startswith("uvicorn[standard]") for dep in project["dependencies"])
    dev = {re.split(r"[\[<>=~ ]", dep)[0] for dep in pyproject["dependency-groups"]["dev"]}
    assert {"pytest", "httpx", "ruff", "scikit-learn", "pandas", "jsonschema"} <= dev
    course = pyproject["tool"]["mlops-course"]
    assert course == {
        "serve": "uvicorn app.main:app --host {host} --port {port} --no-access-log",
        "app": "app",
    }, "the solution commits its model: it needs no train command"
    assert pyproject["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]


def test_lockfile_is_current() -> None:
    lock = SOLUTION / "uv.lock"
    assert lock.is_file()
    assert 'name = "churn-service"' in lock.read_text()
    uv = shutil.which("uv", path=str(svc.BIN_DIR)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv not installed")
    result = svc.run([uv, "lock", "--check", "--offline"], SOLUTION, timeout=120)
    if result.returncode != 0 and re.search(r"offline|network|cache", result.stderr, re.I):
        pytest.skip(f"uv cannot resolve offline here: {result.stderr[-300:]}")
    assert result.returncode == 0, _tail(result)


def test_committed_model_artefacts() -> None:
    model = json.loads((SOLUTION / "model" / "model.json").read_text())
    metrics = json.loads((SOLUTION / "model" / "metrics.json").read_text())
    assert model["format"] == "churn-logreg-json/1"
    assert model["version"] == metrics["model_version"]
    assert len(model["features"]) == 19
    offset = model["numeric"]["offset"]
    assert len(model["classifier"]["coef"]) == offset + len(model["numeric"]["features"])
    data_hash = hashlib.sha256((SOLUTION / "data" / "train.csv").read_bytes()).hexdigest()
    manifest = json.loads((svc.ROOT / "data" / "manifest.json").read_text())
    assert metrics["data_sha256"] == data_hash == manifest["files"]["train.csv"]["sha256"]
    assert metrics["n_train"] + metrics["n_valid"] == manifest["split"]["train_rows"]
    assert metrics["roc_auc"] > 0.8 and metrics["accuracy"] > 0.75
    pickles = [p for ext in ("pkl", "pickle", "joblib") for p in SOLUTION.rglob(f"*.{ext}")]
    assert not pickles, f"nothing is pickled: {pickles}"
