"""The hw1 starter (homework/hw1_api/starter): what students clone.

It lints clean with the course's configuration, its example tests pass, its training script
works, and once trained it starts as a real uvicorn server that answers /health with 200 and the
other contract routes with 501 and a message pointing at the README. The public tests fail
against it (it is a starting point, not an answer), but they do run.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.homework.hw1 import _service as svc

STARTER: Path = svc.STARTER


def _tail(result) -> str:
    return (result.stdout + result.stderr)[-4000:]


@pytest.fixture(scope="module")
def trained_starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the starter after its `train` command (as the grader runs it)."""
    repo = svc.copy_repo(STARTER, tmp_path_factory.mktemp("starter") / "repo")
    command = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["mlops-course"]["train"]
    assert command == "python training/train.py"
    result = svc.run([sys.executable, "training/train.py"], repo, timeout=180)
    assert result.returncode == 0, _tail(result)
    return repo


@pytest.fixture(scope="module")
def starter_url(trained_starter: Path) -> Iterator[str]:
    with svc.uvicorn_server(trained_starter) as url:
        yield url


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_starter_is_ruff_clean(args: tuple[str, ...]) -> None:
    result = svc.ruff(*args, cwd=STARTER)
    assert result.returncode == 0, _tail(result)


def test_starter_layout_and_pyproject() -> None:
    pyproject = tomllib.loads((STARTER / "pyproject.toml").read_text())
    solution = tomllib.loads((svc.SOLUTION / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == solution["project"]["dependencies"]
    assert pyproject["dependency-groups"] == solution["dependency-groups"]
    assert pyproject["tool"]["mlops-course"] == {
        "serve": "uvicorn app.main:app --host {host} --port {port}",
        "app": "app",
        "train": "python training/train.py",
    }
    assert (STARTER / "uv.lock").is_file()
    assert sorted(p.name for p in (STARTER / "model").iterdir()) == [".gitkeep"]
    for stub in ("app/schemas.py", "app/model.py"):
        assert "TODO(hw1" in (STARTER / stub).read_text(), f"{stub} should be a marked TODO stub"


def test_training_writes_the_artefacts(trained_starter: Path) -> None:
    model = json.loads((trained_starter / "model" / "model.json").read_text())
    metrics = json.loads((trained_starter / "model" / "metrics.json").read_text())
    assert len(model["features"]) == 19
    assert metrics["roc_auc"] > 0.8


def test_starter_example_tests_pass(tmp_path: Path) -> None:
    repo = svc.copy_repo(STARTER, tmp_path / "starter")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ignore=tests/public"]
    result = svc.run(argv, repo)
    assert result.returncode == 0, _tail(result)
    assert re.search(r"\d+ passed", result.stdout)


def test_health_answers_200(starter_url: str) -> None:
    assert svc.http(starter_url, "GET", "/health") == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/model", None),
        ("POST", "/predict", b"{}"),
        ("POST", "/predict/batch", b'{"customers": []}'),
    ],
)
def test_unimplemented_routes_answer_501_pointing_at_the_readme(
    starter_url: str, method: str, path: str, body: bytes | None
) -> None:
    status, payload = svc.http(starter_url, method, path, body)
    assert status == 501
    assert isinstance(payload["detail"], str)
    assert "Not implemented yet" in payload["detail"] and "README.md" in payload["detail"]


def test_openapi_lists_the_contract_routes(starter_url: str) -> None:
    status, document = svc.http(starter_url, "GET", "/openapi.json")
    assert status == 200
    assert {"/health", "/model", "/predict", "/predict/batch"} <= set(document["paths"])


def test_public_tests_run_and_fail_against_the_starter(trained_starter: Path) -> None:
    argv = [sys.executable, "-I", "-m", "pytest", "--noconftest", "-p", "no:cacheprovider"]
    argv += ["-rA", "-c", os.devnull, "--rootdir", str(trained_starter / "tests" / "public")]
    argv += [str(svc.PUBLIC_TESTS)]
    result = svc.run(argv, trained_starter, timeout=180)
    assert result.returncode == 1, _tail(result)
    assert re.search(r"PASSED \S*::test_health\b", result.stdout), _tail(result)
    assert re.search(r"FAILED \S*::test_predict_one_customer", result.stdout), _tail(result)
    assert "README.md" in result.stdout, "the failure messages should carry the 501 hint"
