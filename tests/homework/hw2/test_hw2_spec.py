"""The hw2 spec (homework/hw2_db_k8s/README.md).

* released (no draft mark), its contract block up to date, its stored-table description equal to
  the contract's, the rubric placeholder present until the grader's hw2 rubric exists;
* every example (``<!-- example: METHOD PATH STATUS [database=down] -->`` + request and response
  json fences) runs, in the README's order, against the real solution server and a fresh
  PostgreSQL, which the test stops for the ``database=down`` examples and starts again after
  them: objects are compared by the keys shown, numbers within 1e-4, 422 bodies by (loc, type).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from grader.paths import DEFAULT_SUITES_DIR
from grader.render_blocks import update_generated_blocks
from tests.homework.hw2 import _hw2
from tests.homework.hw2._hw2 import Postgres

README = _hw2.SPEC.read_text()
CONTRACT = _hw2.load_json(_hw2.CONTRACT_PATH)
MARKER = re.compile(r"<!-- example: .*? -->")
EXAMPLE = re.compile(
    r"<!-- example: (?P<method>GET|POST) (?P<path>/\S*) (?P<status>\d{3})"
    r"(?: (?P<database>database=down))? -->\n"
    r"```json\n(?P<request>.*?)\n```\n"
    r"```json\n(?P<response>.*?)\n```",
    re.DOTALL,
)
EXAMPLES = [m.groupdict() for m in EXAMPLE.finditer(README)]


def test_the_spec_is_released() -> None:
    assert "Draft" not in README and "planned" not in README.lower()
    for heading in ("## Learning goals", "## Your tasks", "## The contract", "## Examples"):
        assert heading in README
    for heading in ("## Work locally", "## Deploy to minikube", "## How it will be graded"):
        assert heading in README
    for kept in ("one transaction", "rejected requests store nothing", "**empty** database"):
        assert kept in README


def test_contract_block_is_generated_and_up_to_date() -> None:
    assert "<!-- BEGIN GENERATED: contract hw2 -->" in README
    assert update_generated_blocks(README) == README, "re-render the README's generated blocks"


def test_rubric_placeholder_until_the_rubric_exists() -> None:
    if (DEFAULT_SUITES_DIR / "hw2" / "rubric.toml").is_file():
        assert "<!-- BEGIN GENERATED: rubric hw2 -->" in README, "render the rubric block now"
    else:
        assert "<!-- RUBRIC PLACEHOLDER (hw2)" in README
        assert "GENERATED: rubric hw2" not in README


def test_stored_table_matches_the_contract() -> None:
    section = README[README.index("**The stored table**") : README.index("## Examples")]
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \| (yes|no) \|", section, re.M)
    columns = CONTRACT["database"]["columns"]
    assert [name for name, _, _ in rows] == list(columns)
    for name, types, null in rows:
        assert (null == "yes") is columns[name]["nullable"], name
        spelled = columns[name]["data_type"][0].replace("character varying", "varchar")
        assert spelled in types, name


def test_every_example_marker_is_well_formed() -> None:
    assert len(MARKER.findall(README)) == len(EXAMPLES), "a marker without two json fences"
    for example in EXAMPLES:
        json.loads(example["response"])
        if example["method"] == "GET":
            assert json.loads(example["request"]) == {}


def test_examples_cover_every_new_endpoint_and_answer() -> None:
    paths = {(e["method"], e["path"].split("?")[0], e["status"]) for e in EXAMPLES}
    templates = {(m, re.sub(r"/\d+$", "/{id}", p), s) for m, p, s in paths}
    for expected in [
        ("GET", "/ready", "200"),
        ("GET", "/ready", "503"),
        ("POST", "/predict", "200"),
        ("POST", "/predict", "503"),
        ("POST", "/predict/batch", "200"),
        ("POST", "/predict/batch", "422"),
        ("GET", "/predictions", "200"),
        ("GET", "/predictions", "422"),
        ("GET", "/predictions/{id}", "200"),
        ("GET", "/predictions/{id}", "404"),
    ]:
        assert expected in templates, f"no example for {expected}"
    assert any(e["database"] for e in EXAMPLES) and not EXAMPLES[-1]["database"]


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
            return [f"{where}: expected {len(expected)} items, got {actual!r:.120}"]
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in _mismatches(e, a, f"{where}[{i}]")
        ]
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        if (
            not isinstance(actual, int | float)
            or isinstance(actual, bool)
            or abs(actual - expected) > 1e-4
        ):
            return [f"{where}: expected {expected}, got {actual!r}"]
        return []
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Postgres]:
    """A server of this module's own: the examples stop and start it."""
    with _hw2.running_postgres() as server:
        yield server


def test_readme_examples_run_in_order_against_the_solution(own_postgres: Postgres) -> None:
    problems: list[str] = []
    with _hw2.served(_hw2.SOLUTION, own_postgres.create_database()) as url:
        down = False
        for example in EXAMPLES:
            name = f"{example['method']} {example['path']} {example['status']}"
            if bool(example["database"]) != down:
                (own_postgres.stop if not down else own_postgres.start)()
                down = not down
            body = example["request"].encode() if example["method"] == "POST" else None
            status, actual = _hw2.http(url, example["method"], example["path"], body)
            expected = json.loads(example["response"])
            if status != int(example["status"]):
                problems.append(f"{name}: got {status}: {json.dumps(actual)[:300]}")
            elif status == 422:
                shown = [(item["loc"], item["type"]) for item in expected["detail"]]
                got = [(item["loc"], item["type"]) for item in actual["detail"]]
                if got != shown:
                    problems.append(f"{name}: {got} != {shown}")
            else:
                problems += [f"{name}: {p}" for p in _mismatches(expected, actual)]
        if down:
            own_postgres.start()
    assert not problems, "\n".join(problems)
