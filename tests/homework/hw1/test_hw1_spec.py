"""The hw1 spec (homework/hw1_api/README.md) and the files shared by starter and solution.

* the copies of data/train.csv, the contract and the public tests are byte-identical to the
  canonical ones; both repositories carry the same grading workflow and training script;
* the README's generated blocks are up to date;
* every example in the README (``<!-- example: METHOD PATH STATUS -->`` + request and response
  json fences) runs against the real solution server and matches: objects by the keys shown,
  numbers within 1e-4, 422 bodies by (loc, type) of every item;
* hostile inputs over real HTTP never get a 5xx, and the service stays healthy;
* a bounded schemathesis run against the solution finds no 5xx and no schema violation.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.render_blocks import update_generated_blocks
from tests.homework.hw1 import _service as svc

README = svc.SPEC.read_text()
CONTRACT = json.loads(svc.CONTRACT_PATH.read_text())

GRADE_WORKFLOW = """\
name: grade
on:
  push:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  grade:
    uses: mlops-course/mlops-course/.github/workflows/grade-submission.yml@main
    with:
      homework: hw1
"""

MARKER = re.compile(r"<!-- example: .*? -->")
EXAMPLE = re.compile(
    r"<!-- example: (?P<method>GET|POST) (?P<path>/\S*) (?P<status>\d{3})"
    r"(?: repeat=(?P<repeat>\d+))? -->\n"
    r"```json\n(?P<request>.*?)\n```\n"
    r"```json\n(?P<response>.*?)\n```",
    re.DOTALL,
)
EXAMPLES = [m.groupdict() for m in EXAMPLE.finditer(README)]


def _example_id(example: dict[str, str]) -> str:
    return f"{example['method']} {example['path']} {example['status']}"


# --- files shared with the canonical sources ----------------------------------------------------


@pytest.mark.parametrize("repo", ["solution", "starter"])
@pytest.mark.parametrize("relative", sorted(svc.CANONICAL_COPIES))
def test_copies_are_byte_identical(repo: str, relative: str) -> None:
    copy = svc.HW1 / repo / relative
    assert copy.read_bytes() == svc.CANONICAL_COPIES[relative].read_bytes(), (
        f"{copy} differs from {svc.CANONICAL_COPIES[relative]}: copy it again"
    )


def test_public_dir_carries_the_contract() -> None:
    assert (svc.PUBLIC_DIR / "contract.json").read_bytes() == svc.CONTRACT_PATH.read_bytes()


@pytest.mark.parametrize("repo", ["solution", "starter"])
def test_grade_workflow(repo: str) -> None:
    """The caller workflow (comments aside: the template in grader/templates adds a header)."""
    text = (svc.HW1 / repo / ".github/workflows/grade.yml").read_text()
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert body == GRADE_WORKFLOW


def test_starter_and_solution_train_the_same_way() -> None:
    solution = (svc.SOLUTION / "training" / "train.py").read_bytes()
    assert (svc.STARTER / "training" / "train.py").read_bytes() == solution


# --- the README ---------------------------------------------------------------------------------


def test_generated_blocks_are_up_to_date() -> None:
    assert "<!-- BEGIN GENERATED: contract hw1 -->" in README
    assert "<!-- BEGIN GENERATED: rubric hw1 -->" in README
    assert update_generated_blocks(README) == README, "re-render the README's generated blocks"


def test_every_example_marker_is_well_formed() -> None:
    assert len(MARKER.findall(README)) == len(EXAMPLES), "a marker without two json fences"
    for example in EXAMPLES:
        json.loads(example["response"])
        if example["method"] == "GET":
            assert json.loads(example["request"]) == {}


def test_examples_cover_every_endpoint_and_error_class() -> None:
    ok = {(e["method"], e["path"]) for e in EXAMPLES if e["status"] == "200"}
    endpoints = {(ep["method"], ep["path"]) for ep in CONTRACT["endpoints"]}
    assert endpoints <= ok, f"no 200 example for {endpoints - ok}"
    error_types = {
        item["type"]
        for e in EXAMPLES
        if e["status"] == "422"
        for item in json.loads(e["response"])["detail"]
    }
    expected = {"missing", "int_type", "less_than_equal", "literal_error", "float_type"}
    expected |= {"extra_forbidden", "json_invalid", "too_short", "too_long"}
    assert expected <= error_types, f"no example for {expected - error_types}"


def test_one_self_check_command_everywhere() -> None:
    """The spec, the starter's and the solution's READMEs and the student guide give one command."""
    course = tomllib.loads((svc.ROOT / "grader" / "course" / "course.toml").read_text())["course"]
    source = f"git+https://github.com/{course['repository']}@{course['grader_ref']}"
    command = f"uvx --from {source} grader check hw1 ."
    pages = [svc.SPEC, svc.STARTER / "README.md", svc.SOLUTION / "README.md"]
    pages.append(svc.ROOT / "docs" / "guides" / "student.md")
    for page in pages:
        text = page.read_text()
        assert command in text, f"{page} does not give the self-check command {command!r}"
        assert not re.search(r"^\s*grader check", text, re.MULTILINE), f"{page}: a second command"


# --- the examples against the running solution --------------------------------------------------


@pytest.fixture(scope="module")
def solution_url() -> Iterator[str]:
    with svc.uvicorn_server(svc.SOLUTION) as url:
        yield url


def _mismatches(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where ``actual`` differs from ``expected`` (objects: only the keys shown are compared)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r:.80}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += _mismatches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r:.80}"]
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in _mismatches(e, a, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(expected, numbers) and not isinstance(expected, bool):
        if (
            not isinstance(actual, numbers)
            or isinstance(actual, bool)
            or abs(actual - expected) > 1e-4
        ):
            return [f"{where}: expected {expected}, got {actual!r}"]
        return []
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


@pytest.mark.parametrize("example", EXAMPLES, ids=[_example_id(e) for e in EXAMPLES])
def test_readme_example_matches_the_solution(solution_url: str, example: dict[str, str]) -> None:
    body: bytes | None = None
    if example["method"] == "POST":
        if example["repeat"]:
            request = json.loads(example["request"])
            request["customers"] = request["customers"] * int(example["repeat"])
            body = json.dumps(request).encode()
        else:
            body = example["request"].encode()
    status, actual = svc.http(solution_url, example["method"], example["path"], body)
    expected = json.loads(example["response"])
    assert status == int(example["status"]), f"{_example_id(example)}: got {status}: {actual}"
    if status == 422:
        shown = [(item["loc"], item["type"]) for item in expected["detail"]]
        assert [(item["loc"], item["type"]) for item in actual["detail"]] == shown
    else:
        problems = _mismatches(expected, actual)
        assert not problems, "\n".join(problems)


# --- robustness over real HTTP ------------------------------------------------------------------

CUSTOMER = json.loads(
    next(e for e in EXAMPLES if e["path"] == "/predict" and e["status"] == "200")["request"]
)
HOSTILE = {
    "NaN token": json.dumps(CUSTOMER).replace('"monthly_charges": 29.85', '"monthly_charges": NaN'),
    "Infinity token": json.dumps(CUSTOMER).replace('"tenure": 1', '"tenure": Infinity'),
    "overflowing float": json.dumps(CUSTOMER).replace('"tenure": 1', '"tenure": 1e999'),
    "5000-digit integer": json.dumps(CUSTOMER).replace('"tenure": 1', '"tenure": ' + "9" * 5000),
    "invalid utf-8": b'{"customer_id": "\xff\xfe"}',
    "deeply nested": "[" * 50_000 + "]" * 50_000,
    "lone surrogate id": json.dumps(CUSTOMER).replace('"7590-VHVEG"', '"\\ud800"'),
    "not an object": "[1, 2, 3]",
    "empty body": "",
}


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_a_client_error(solution_url: str, path: str, case: str) -> None:
    raw = HOSTILE[case]
    body = raw if isinstance(raw, bytes) else raw.encode()
    status, payload = svc.http(solution_url, "POST", path, body)
    assert 400 <= status < 500, f"{case}: {status} {payload}"
    assert "detail" in payload


def test_still_healthy_after_hostile_input(solution_url: str) -> None:
    for case in sorted(HOSTILE):
        raw = HOSTILE[case]
        svc.http(solution_url, "POST", "/predict", raw if isinstance(raw, bytes) else raw.encode())
    assert svc.http(solution_url, "GET", "/health") == (200, {"status": "ok"})
    assert svc.http(solution_url, "PUT", "/predict", b"{}")[0] == 405
    assert svc.http(solution_url, "POST", "/nowhere", b"{}")[0] == 404


# --- schemathesis -------------------------------------------------------------------------------

SCHEMATHESIS_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
]


def test_schemathesis_finds_no_server_error_or_schema_violation(
    solution_url: str, tmp_path: Path
) -> None:
    executable = svc.BIN_DIR / "schemathesis"
    assert executable.exists(), "schemathesis is a dev dependency of the course repo"
    argv = [str(executable), "run", f"{solution_url}/openapi.json"]
    argv += ["--checks", ",".join(SCHEMATHESIS_CHECKS), "--max-examples", "30", "--seed", "1"]
    argv += ["--workers", "1", "--request-timeout", "10", "--no-color"]
    result = svc.run(argv, tmp_path, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "No issues found" in output, output[-3000:]
