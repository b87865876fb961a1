"""The rubric: checks, points, visibility and thresholds of a homework, read from its suites location."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from grader.errors import UsageError
from grader.paths import suites_dir

Stage = Literal["install", "static", "tests", "hidden", "load"]
STAGES: tuple[Stage, ...] = ("install", "static", "tests", "hidden", "load")


@dataclass(frozen=True)
class Check:
    """One rubric item."""

    id: str
    title: str
    stage: Stage
    points: float
    visibility: Literal["visible", "hidden"]


@dataclass(frozen=True)
class Rubric:
    """A homework's rubric as loaded from ``<suites>/<hw>/rubric.toml``."""

    homework: str
    title: str
    contract: str
    checks: tuple[Check, ...]
    thresholds: dict[str, Any] = field(default_factory=dict)
    directory: Path = Path()
    sha256: str = ""

    @property
    def max_points(self) -> float:
        """Sum of all checks' points."""
        return sum(c.points for c in self.checks)

    def check(self, check_id: str) -> Check:
        """The check with this id (KeyError if the rubric has none)."""
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def stage_checks(self, stage: Stage) -> list[Check]:
        """The checks of one stage, in rubric order."""
        return [c for c in self.checks if c.stage == stage]


def load_rubric(homework: str, suites: str | Path | None = None) -> Rubric:
    """Read and validate the rubric of ``homework`` from the suites location."""
    directory = suites_dir(suites) / homework
    path = directory / "rubric.toml"
    if not path.is_file():
        raise UsageError(f"no rubric for homework {homework!r} at {path}")
    raw_bytes = path.read_bytes()
    try:
        raw = tomllib.loads(raw_bytes.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"unreadable rubric {path}: {exc}") from exc
    checks = []
    seen: set[str] = set()
    for item in raw.get("checks", []):
        check = Check(
            id=item["id"],
            title=item["title"],
            stage=item["stage"],
            points=float(item["points"]),
            visibility=item.get("visibility", "visible"),
        )
        if check.stage not in STAGES or check.visibility not in ("visible", "hidden"):
            raise UsageError(f"rubric {path}: check {check.id} has a bad stage or visibility")
        if check.id in seen:
            raise UsageError(f"rubric {path}: duplicate check id {check.id}")
        seen.add(check.id)
        checks.append(check)
    return Rubric(
        homework=raw["homework"],
        title=raw["title"],
        contract=raw.get("contract", homework),
        checks=tuple(checks),
        thresholds=dict(raw.get("thresholds", {})),
        directory=directory,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def render_rubric_markdown(rubric: Rubric) -> str:
    """The rubric as a Markdown table (used in the homework spec and on the course site)."""
    lines = ["| Check | What is checked | Stage | Points | Visibility |", "|---|---|---|---:|---|"]
    for c in rubric.checks:
        lines.append(f"| `{c.id}` | {c.title} | {c.stage} | {c.points:g} | {c.visibility} |")
    lines.append(f"| | **Total** | | **{rubric.max_points:g}** | |")
    return "\n".join(lines) + "\n"
