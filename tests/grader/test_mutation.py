"""Planted bugs: mutants are found by parsing (never importing), named, valid, and sampled per commit."""

from __future__ import annotations

import ast
from pathlib import Path

from grader.mutation.mutants import MISCONCEPTIONS, find_mutants, sample

MODULE = """
from pydantic import BaseModel, ConfigDict, Field

THRESHOLD = 0.5
raise_on_import = False


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenure: int = Field(ge=0, le=120)
    name: str = Field(min_length=1, max_length=64)


def decide(p: float) -> bool:
    if p < 0 or p > 1:
        raise ValueError("not a probability")
    return p >= THRESHOLD


def status(found: bool) -> int:
    return 200 if found else 404


def total(a: float, b: float) -> float:
    return a * b + 1
"""


def mutants_of(tmp_path: Path) -> tuple[list, list]:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "core.py").write_text(MODULE)
    return find_mutants(tmp_path, ("app",))


def test_every_operator_finds_its_misconception(tmp_path: Path) -> None:
    mutants, nulls = mutants_of(tmp_path)
    operators = {m.operator for m in mutants}
    assert operators == set(MISCONCEPTIONS) - {"null"}, operators
    assert len(nulls) == 1 and nulls[0].null
    described = {m.operator: m.describe() for m in mutants}
    assert "404 -> 500" in described["status_code"] or "200 -> 201" in described["status_code"]
    assert all(m.path == "app/core.py" for m in mutants)


def test_every_mutant_is_valid_python_and_changes_the_code(tmp_path: Path) -> None:
    mutants, nulls = mutants_of(tmp_path)
    for mutant in [*mutants, *nulls]:
        mutated = mutant.apply(MODULE)
        assert mutated != MODULE
        ast.parse(mutated)  # raises on a broken mutant
    dropped = [m for m in mutants if m.operator == "constraint_dropped"]
    assert any('extra="ignore"' in m.apply(MODULE) for m in dropped)
    assert any("Field(le=120)" in m.apply(MODULE) for m in dropped)


def test_null_mutants_change_text_not_behaviour(tmp_path: Path) -> None:
    _, nulls = mutants_of(tmp_path)
    mutated = ast.parse(nulls[0].apply(MODULE))
    original = ast.parse(MODULE)
    assert nulls[0].apply(MODULE) != MODULE
    assert [ast.dump(n) for n in mutated.body[:-1]] == [ast.dump(n) for n in original.body]
    unused = mutated.body[-1]  # one more, unused module-level name: no behaviour changes
    assert isinstance(unused, ast.Assign) and isinstance(unused.value, ast.Constant)


def test_the_sample_is_fixed_per_commit_and_spreads_over_operators(tmp_path: Path) -> None:
    mutants, nulls = mutants_of(tmp_path)
    first = sample(mutants, nulls, 7, 6, 1)
    assert first == sample(mutants, nulls, 7, 6, 1)
    assert first != sample(mutants, nulls, 8, 6, 1)
    real = [m for m in first if not m.null]
    assert len(real) == 6 and len({m.operator for m in real}) == 6
    assert sum(m.null for m in first) == 1


def test_the_grader_never_imports_the_code_it_mutates(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "evil.py").write_text(
        "import pathlib\npathlib.Path('IMPORTED').write_text('x')\nLIMIT = 3 > 2\n"
    )
    mutants, _ = find_mutants(tmp_path, ("app",))
    assert mutants and not (Path.cwd() / "IMPORTED").exists()


# A "suite" that hangs whenever the code holds the null mutant's marker, fails on the `*` -> `/`
# planted bug, and passes otherwise: enough to see how each outcome is counted.
HANGING_SUITE = """
import pathlib, sys, time
code = pathlib.Path("app/core.py").read_text()
if "_grader_null_mutant" in code:
    time.sleep(30)
sys.exit(1 if "a / b + 1" in code else 0)
"""


def test_a_hanging_null_mutant_is_inconclusive_and_a_hanging_planted_bug_is_caught(
    tmp_path: Path, require_full_isolation: None
) -> None:
    from grader.mutation.run import run_mutants
    from grader.sandbox import Sandbox, detect_isolation
    from grader.stages.interpreter import submission_python

    isolation = detect_isolation()
    python = submission_python(isolation.drop_user)
    box = Sandbox(tmp_path / "job", isolation, read_only=[Path(python).resolve().parents[1]])
    box.workdir.mkdir()
    box.prepare_dirs()
    try:
        mutants, nulls = mutants_of(box.src)
        times = next(m for m in mutants if m.original == " * ")
        insert_null = [n for n in nulls if "_grader_null_mutant" in n.text][:1]
        survivor = next(m for m in mutants if m.operator == "status_code")
        assert insert_null, "find_mutants offers a null mutant that adds an unused name"
        (box.src / "suite.py").write_text(HANGING_SUITE)
        result = run_mutants(
            box,
            [python, "suite.py"],
            [times, survivor, *insert_null],
            per_run_s=3,
            budget_s=60,
            env=box.env({}),
        )
    finally:
        box.close()
    assert result.nulls_timed_out == insert_null
    assert result.nulls_failed == [] and result.nulls_passed == []
    assert [m.describe() for m in result.killed] == [times.describe()]
    assert [m.describe() for m in result.survived] == [survivor.describe()]
