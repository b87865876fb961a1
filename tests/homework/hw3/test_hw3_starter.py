"""The hw3 starter (homework/hw3_ci_monitoring/starter): what students clone.

A working hw2 service plus stubs: it lints clean with the course's configuration, its example
tests pass, it starts with its serve command, the hw2 endpoints work, ``/metrics`` answers 501
pointing at the README, every task has its TODO, and the public tests run: the hw1/hw2 ones
pass, the hw3 ones fail.
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
from tests.homework.hw3 import _hw3

STARTER = _hw3.STARTER
STUBS = {
    "app/metrics.py": "task 1",
    "app/routers/metrics.py": "task 1",
    "app/middleware.py": "tasks 1-2",
    "app/logs.py": "task 2",
    "app/main.py": "tasks 1-2",
    "pyproject.toml": "task 3",
    "monitoring/prometheus.yml": "task 4",
    "monitoring/rules.yml": "task 4",
    "monitoring/tests/alerts.yml": "task 4",
    "monitoring/grafana/dashboards/README.md": "task 4",
    ".pre-commit-config.yaml": "task 5",
    ".github/workflows/ci.yml": "task 6",
}
HW3_PUBLIC_TESTS = [
    "test_every_response_carries_a_request_id",
    "test_metrics_expose_the_contract_families",
    "test_counters_move_by_exactly_what_was_sent",
    "test_json_log_line_for_each_request_carries_its_id",
]


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_starter_is_ruff_clean(args: tuple[str, ...]) -> None:
    result = _hw2.ruff(*args, cwd=STARTER)
    assert result.returncode == 0, _hw2.tail(result)


def test_layout_pyproject_and_todos() -> None:
    pyproject = tomllib.loads((STARTER / "pyproject.toml").read_text())
    solution = tomllib.loads((_hw3.SOLUTION / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == solution["project"]["dependencies"]
    assert pyproject["dependency-groups"] == solution["dependency-groups"]
    assert pyproject["tool"]["mlops-course"] == solution["tool"]["mlops-course"]
    for stub, task in STUBS.items():
        assert f"TODO(hw3, {task})" in (STARTER / stub).read_text(), f"{stub}: no TODO({task})"


def test_starter_example_tests_pass(tmp_path: Path) -> None:
    repo = _hw2.copy_repo(STARTER, tmp_path / "starter")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ignore=tests/public"]
    result = _hw2.run(argv, repo)
    assert result.returncode == 0, _hw2.tail(result)
    assert re.search(r"\b\d+ passed", result.stdout), _hw2.tail(result)


@pytest.fixture(scope="module")
def starter(postgres: Postgres) -> Iterator[_hw3.Service]:
    with _hw3.served(STARTER, postgres.create_database()) as service:
        yield service


def test_the_hw2_service_works(starter: _hw3.Service) -> None:
    customer = {
        "female": 1, "senior_citizen": 0, "partner": 1, "dependents": 0, "tenure": 1,
        "phone_service": 0, "multiple_lines": "No phone service", "internet_service": "DSL",
        "online_security": "No", "online_backup": "Yes", "device_protection": "No",
        "tech_support": "No", "streaming_tv": "No", "streaming_movies": "No",
        "contract": "Month-to-month", "paperless_billing": 1,
        "payment_method": "Electronic check", "monthly_charges": 29.85, "total_charges": 29.85,
    }  # fmt: skip
    status, _, body = _hw3.request(starter.url, "POST", "/predict", json.dumps(customer).encode())
    assert status == 200
    record = json.loads(body)
    assert record["churn_probability"] == pytest.approx(0.6163, abs=1e-4)
    assert _hw3.request(starter.url, "GET", f"/predictions/{record['id']}")[0] == 200


def test_metrics_answer_501_pointing_at_the_readme(starter: _hw3.Service) -> None:
    status, _, body = _hw3.request(starter.url, "GET", "/metrics")
    assert status == 501
    detail = json.loads(body)["detail"]
    assert "Not implemented yet" in detail and "README.md" in detail


def test_public_tests_run_hw2_passes_hw3_fails(tmp_path: Path) -> None:
    repo = _hw2.copy_repo(STARTER, tmp_path / "starter")
    public = _hw3.SOLUTION / "tests" / "public"
    argv = [sys.executable, "-I", "-m", "pytest", "--noconftest", "-p", "no:cacheprovider"]
    argv += ["-rA", "-c", os.devnull, "--rootdir", str(public), str(public)]
    result = _hw2.run(argv, repo, timeout=300)
    assert result.returncode == 1, _hw2.tail(result)
    assert re.search(r"PASSED \S*::test_predict_returns_the_id_of_the_stored_record", result.stdout)
    for name in HW3_PUBLIC_TESTS:
        assert re.search(rf"FAILED \S*::{name}\b", result.stdout), name
    failed = re.findall(r"^FAILED \S*::(\w+)", result.stdout, re.M)
    assert sorted(set(failed)) == sorted(HW3_PUBLIC_TESTS), "only the hw3 checks fail"
