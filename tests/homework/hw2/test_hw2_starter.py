"""The hw2 starter (homework/hw2_db_k8s/starter): what students clone.

It is a working hw1 service plus stubs: it lints clean with the course's configuration, its
example tests pass, it starts with its serve command against an empty database (touching
nothing in it) and answers /health, the hw1 endpoints work, the new ones answer 501 pointing at
the README, and the public tests run and fail against it.
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

from tests.homework.hw2 import _hw2
from tests.homework.hw2._hw2 import Postgres

STARTER = _hw2.STARTER
STUBS = [
    "app/db.py",
    "app/models.py",
    "app/repository.py",
    "app/migrations.py",
    "app/main.py",
    "migrations/versions/README.md",
    "Dockerfile",
    "docker-compose.yml",
    "k8s/kustomization.yaml",
    "scripts/deploy.sh",
]


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_starter_is_ruff_clean(args: tuple[str, ...]) -> None:
    result = _hw2.ruff(*args, cwd=STARTER)
    assert result.returncode == 0, _hw2.tail(result)


def test_starter_layout_and_pyproject() -> None:
    pyproject = tomllib.loads((STARTER / "pyproject.toml").read_text())
    solution = tomllib.loads((_hw2.SOLUTION / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == solution["project"]["dependencies"]
    assert pyproject["dependency-groups"] == solution["dependency-groups"]
    assert pyproject["tool"]["mlops-course"] == solution["tool"]["mlops-course"]
    for stub in STUBS:
        assert "TODO(hw2" in (STARTER / stub).read_text(), f"{stub} should be a marked TODO stub"
    assert not list((STARTER / "migrations" / "versions").glob("*.py")), "task 2 is theirs"
    assert sorted(p.name for p in (STARTER / "model").iterdir()) == ["metrics.json", "model.json"]


def test_starter_example_tests_pass(tmp_path: Path) -> None:
    repo = _hw2.copy_repo(STARTER, tmp_path / "starter")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ignore=tests/public"]
    result = _hw2.run(argv, repo)
    assert result.returncode == 0, _hw2.tail(result)
    assert re.search(r"\b3 passed", result.stdout), _hw2.tail(result)


@pytest.fixture(scope="module")
def empty_database(postgres: Postgres) -> str:
    return postgres.create_database()


@pytest.fixture(scope="module")
def starter_url(empty_database: str) -> Iterator[str]:
    with _hw2.served(STARTER, empty_database) as url:
        yield url


def test_starts_against_an_empty_database_and_answers_health(
    starter_url: str, postgres: Postgres, empty_database: str
) -> None:
    assert _hw2.http(starter_url, "GET", "/health") == (200, {"status": "ok"})
    assert postgres.tables(empty_database) == [], "the starter does not touch the database yet"


def test_the_hw1_service_works(starter_url: str) -> None:
    contract = _hw2.load_json(_hw2.CONTRACT_PATH)
    customer = dict.fromkeys(contract["$defs"]["Customer"]["required"])
    customer.update(
        female=1, senior_citizen=0, partner=1, dependents=0, tenure=1, phone_service=0,
        multiple_lines="No phone service", internet_service="DSL", online_security="No",
        online_backup="Yes", device_protection="No", tech_support="No", streaming_tv="No",
        streaming_movies="No", contract="Month-to-month", paperless_billing=1,
        payment_method="Electronic check", monthly_charges=29.85, total_charges=29.85,
    )  # fmt: skip
    status, body = _hw2.http(starter_url, "POST", "/predict", json.dumps(customer).encode())
    assert status == 200 and body["churn_probability"] == pytest.approx(0.6163, abs=1e-4)
    assert _hw2.http(starter_url, "GET", "/model")[0] == 200


@pytest.mark.parametrize("path", ["/ready", "/predictions", "/predictions/1"])
def test_new_routes_answer_501_pointing_at_the_readme(starter_url: str, path: str) -> None:
    status, payload = _hw2.http(starter_url, "GET", path)
    assert status == 501
    assert "Not implemented yet" in payload["detail"] and "README.md" in payload["detail"]


def test_openapi_lists_the_contract_routes(starter_url: str) -> None:
    status, document = _hw2.http(starter_url, "GET", "/openapi.json")
    assert status == 200
    contract = _hw2.load_json(_hw2.CONTRACT_PATH)
    assert {e["path"] for e in contract["endpoints"]} - {"/openapi.json"} <= set(document["paths"])


def test_public_tests_run_and_fail_against_the_starter(tmp_path: Path) -> None:
    repo = _hw2.copy_repo(STARTER, tmp_path / "starter")
    argv = [sys.executable, "-I", "-m", "pytest", "--noconftest", "-p", "no:cacheprovider"]
    argv += ["-rA", "-c", os.devnull, "--rootdir", str(_hw2.PUBLIC_DIR), str(_hw2.PUBLIC_DIR)]
    result = _hw2.run(argv, repo, timeout=300)
    assert result.returncode == 1, _hw2.tail(result)
    assert re.search(r"PASSED \S*::test_health\b", result.stdout), _hw2.tail(result)
    assert re.search(r"PASSED \S*::test_missing_field_is_422_naming_it", result.stdout)
    assert re.search(r"FAILED \S*::test_predict_returns_the_id_of_the_stored_record", result.stdout)
    assert re.search(r"FAILED \S*::test_ready_while_the_database_answers", result.stdout)
    assert "README.md" in result.stdout, "the failure messages should carry the 501 hint"
