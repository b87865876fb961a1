"""Hostile and correct-but-bad submissions as patches of a reference solution.

A fixture is a directory holding ``expected.toml``: the score band it must land in and its
``[[patch]]`` entries (``path``, ``old``, ``new``: each ``old`` must occur exactly once), plus
optional ``[[file]]`` entries (``path``, ``text``) that add or replace a whole file and a
``remove`` list of paths (files or directories) deleted first. Grading a
fixture with only the checks its band is about keeps the test cheap: :func:`suites_keeping`
writes a copy of the suites whose rubric keeps those checks.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.paths import suites_dir
from grader.rubric import load_rubric

IGNORE = shutil.ignore_patterns(
    ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".dev", "secret.env"
)


def expected(fixture: Path) -> dict[str, Any]:
    """A fixture's ``expected.toml``."""
    return tomllib.loads((fixture / "expected.toml").read_text())


def fixture_names(directory: Path) -> list[str]:
    """The fixtures in ``directory`` (sub-directories with an ``expected.toml``), sorted."""
    return sorted(p.name for p in directory.iterdir() if (p / "expected.toml").is_file())


def build_fixture(solution: Path, fixture: Path, target: Path) -> Path:
    """A copy of ``solution`` with the fixture's patches and files applied."""
    shutil.copytree(solution, target, ignore=IGNORE)
    spec = expected(fixture)
    for removed in spec.get("remove", []):
        path = target / removed
        assert path.exists(), f"{fixture.name}: {removed} is not in the solution"
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for patch in spec.get("patch", []):
        path = target / patch["path"]
        text = path.read_text()
        assert text.count(patch["old"]) == 1, f"{fixture.name}: patch text not found once in {path}"
        path.write_text(text.replace(patch["old"], patch["new"]))
    for added in spec.get("file", []):
        path = target / added["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(added["text"])
    return target


def suites_keeping(
    homework: str, target: Path, stages: Iterable[str] = (), checks: Iterable[str] = ()
) -> Path:
    """A copy of the suites whose ``homework`` rubric keeps only these stages' checks and ``checks``."""
    shutil.copytree(suites_dir(None), target)
    return trim_rubric(target, homework, stages, checks)


def trim_rubric(
    suites: Path, homework: str, stages: Iterable[str] = (), checks: Iterable[str] = ()
) -> Path:
    """Rewrite ``homework``'s rubric in the suites copy ``suites`` to keep only these stages' checks
    and ``checks`` (groups left without a check are dropped); returns ``suites``."""
    stages, checks = set(stages), set(checks)
    rubric = suites / homework / "rubric.toml"
    blocks = rubric.read_text().split("[[checks]]")
    stage_of = {c.id: c.stage for c in load_rubric(homework).checks}
    keep = [blocks[0]]
    for block in blocks[1:]:
        check_id = re.search(r'id = "([^"]+)"', block).group(1)  # type: ignore[union-attr]
        if stage_of[check_id] in stages or check_id in checks:
            keep.append(block)
    text = "[[checks]]".join(keep)
    # A group none of whose checks are kept would be an invalid rubric: drop it.
    for group in re.findall(r"^\[groups\.([\w-]+)\]", blocks[0], re.M):
        if f'group = "{group}"' not in text:
            text = re.sub(rf"^\[groups\.{group}\]\n(?:[^\[\n].*\n)*\n?", "", text, flags=re.M)
    rubric.write_text(text)
    return suites


def assert_in_band(report: Any, spec: dict[str, Any]) -> None:
    """A graded fixture lands where its ``expected.toml`` says.

    Keys: ``status`` (check id -> status), ``feedback`` (check id -> text it contains),
    ``points`` (check id -> [low, high]), ``min_lost`` / ``max_lost`` (points lost overall).
    No check may be a grader ``error``, and every check that lost points says why.
    """
    results = {c.id: c for c in report.checks}
    errors = [(c.id, c.feedback) for c in report.checks if c.status == "error"]
    assert not errors, errors
    for check_id, status in spec.get("status", {}).items():
        assert results[check_id].status == status, (check_id, results[check_id].feedback)
    for check_id, text in spec.get("feedback", {}).items():
        assert text in results[check_id].feedback, (check_id, results[check_id].feedback)
    for check_id, (low, high) in spec.get("points", {}).items():
        got = results[check_id].points
        assert low <= got <= high, (check_id, got, results[check_id].feedback)
    lost = report.max_points - report.points
    if "min_lost" in spec:
        assert lost >= spec["min_lost"], (lost, [(c.id, c.points) for c in report.checks])
    if "max_lost" in spec:
        assert lost <= spec["max_lost"], (lost, [(c.id, c.feedback) for c in report.checks])
    for check in report.checks:
        if check.points < check.max_points:
            assert check.feedback, f"{check.id} lost points without a reason"
