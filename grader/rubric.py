"""The rubric: checks, points, visibility, lecture and FAQ links and thresholds of a homework.

Read from ``<suites>/<hw>/rubric.toml`` and validated against the stage registry
(:mod:`grader.stages`): every check id must be one the grader implements, and its stage is taken
from the registry, never written in the rubric. ``[stages.<name>]`` tables override the sandbox
policy's stage settings (timeouts) for this homework.

``[groups.<name>]`` caps a set of checks: each check naming ``group = "<name>"`` writes its weight
as ``points``, and when the group's weights add up to more than ``cap`` they are scaled down in
proportion so that the whole group is worth ``cap`` points (hw2 runs hw1's checks again, worth at
most 15 points: a working hw1 service alone stays a low hw2 score).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from grader.errors import UsageError
from grader.paths import suites_dir

Visibility = Literal["visible", "hidden"]
LECTURE_LINK = "lectures/{page}.html"


@dataclass(frozen=True)
class Check:
    """One rubric item."""

    id: str
    title: str
    stage: str
    points: float
    visibility: Visibility
    lecture: str = ""  # "NN_slug#anchor": the lecture section that teaches it
    faq: str = ""  # anchor of the FAQ entry (docs/guides/faq.md) for the usual reason it fails
    group: str = ""  # a capped group ([groups.<name>]); points are then already scaled
    weight: float = 0.0  # the points the rubric wrote (before a group's cap)
    requires: str = ""  # a check that must pass for this one to award points (else "not judged")

    def lecture_path(self) -> str:
        """The site path of the lecture section (``lectures/NN_slug.html#anchor``), or ""."""
        if not self.lecture:
            return ""
        page, _, anchor = self.lecture.partition("#")
        return LECTURE_LINK.format(page=page) + (f"#{anchor}" if anchor else "")

    def faq_path(self) -> str:
        """The site path of the check's FAQ entry (``guides/faq.html#anchor``), or ""."""
        from grader.faq import faq_path

        return faq_path(self.faq)


@dataclass(frozen=True)
class Group:
    """A capped group of checks (``[groups.<name>]``)."""

    name: str
    cap: float
    title: str = ""
    weights: float = 0.0  # the sum of its checks' written points

    @property
    def scale(self) -> float:
        """The factor applied to its checks' written points (1 when they fit under the cap)."""
        return min(1.0, self.cap / self.weights) if self.weights else 1.0


@dataclass(frozen=True)
class Rubric:
    """A homework's rubric as loaded from ``<suites>/<hw>/rubric.toml``."""

    homework: str
    title: str
    contract: str
    checks: tuple[Check, ...]
    thresholds: dict[str, Any] = field(default_factory=dict)
    stage_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
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

    def stage_checks(self, stage: str) -> list[Check]:
        """The checks of one stage, in rubric order."""
        return [c for c in self.checks if c.stage == stage]

    def settings(self, stage: str) -> dict[str, Any]:
        """A stage's settings: the sandbox policy's, with this rubric's overrides."""
        from grader.sandbox.policy import load_sandbox_policy

        return load_sandbox_policy().stage_settings(stage, self.stage_overrides.get(stage))


def _parse_check(item: dict[str, Any], registry: dict[str, str], where: Path) -> Check:
    check_id = item.get("id", "?")
    if check_id not in registry:
        raise UsageError(f"rubric {where}: check {check_id!r} is not implemented by any stage")
    if "stage" in item:
        raise UsageError(
            f"rubric {where}: check {check_id} names a stage; stages come from the registry"
        )
    visibility = item.get("visibility", "visible")
    faq = item.get("faq", "")
    if faq:
        from grader import faq as course_faq

        if not isinstance(faq, str):
            raise UsageError(f"rubric {where}: check {check_id} has a bad faq {faq!r}")
        # The FAQ page is part of the course checkout, not of an installed grader wheel: the anchor
        # is checked wherever the page exists (this repository, its CI, an instructor's clone).
        page = course_faq.FAQ_PAGE
        if page.is_file() and faq not in course_faq.faq_anchors(page):
            raise UsageError(
                f"rubric {where}: check {check_id} names FAQ entry {faq!r}, "
                f"which is not a heading anchor of {page}"
            )
    if visibility not in ("visible", "hidden"):
        raise UsageError(f"rubric {where}: check {check_id} has a bad visibility {visibility!r}")
    try:
        return Check(
            id=check_id,
            title=item["title"],
            stage=registry[check_id],
            points=float(item["points"]),
            visibility=visibility,
            lecture=item.get("lecture", ""),
            faq=faq,
            group=str(item.get("group", "")),
            weight=float(item["points"]),
            requires=str(item.get("requires", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"rubric {where}: check {check_id} is incomplete ({exc})") from exc


def _apply_groups(
    checks: list[Check], raw: dict[str, Any], where: Path
) -> tuple[list[Check], dict[str, Group]]:
    """Validate ``[groups.*]`` and scale each capped group's checks to its cap."""
    groups: dict[str, Group] = {}
    for name, table in raw.items():
        try:
            cap = float(table["cap"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"rubric {where}: [groups.{name}] needs a numeric cap ({exc})"
            ) from exc
        if cap <= 0:
            raise UsageError(f"rubric {where}: [groups.{name}] cap must be positive")
        members = [c for c in checks if c.group == name]
        if not members:
            raise UsageError(f"rubric {where}: [groups.{name}] has no checks")
        weights = sum(c.weight for c in members)
        groups[name] = Group(name, cap, str(table.get("title", "")), weights)
    for check in checks:
        if check.group and check.group not in groups:
            raise UsageError(
                f"rubric {where}: check {check.id} names group {check.group!r}, which has no "
                f"[groups.{check.group}] table"
            )
    scaled = [replace(c, points=c.weight * groups[c.group].scale) if c.group else c for c in checks]
    return scaled, groups


def load_rubric(homework: str, suites: str | Path | None = None) -> Rubric:
    """Read ``homework``'s rubric from the suites location and validate it against the registry."""
    from grader.stages import STAGE_NAMES, check_stages

    directory = suites_dir(suites) / homework
    path = directory / "rubric.toml"
    if not path.is_file():
        raise UsageError(f"no rubric for homework {homework!r} at {path}")
    raw_bytes = path.read_bytes()
    try:
        raw = tomllib.loads(raw_bytes.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"unreadable rubric {path}: {exc}") from exc
    registry = check_stages()
    checks = [_parse_check(item, registry, path) for item in raw.get("checks", [])]
    ids = [c.id for c in checks]
    if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
        raise UsageError(f"rubric {path}: duplicate check ids {duplicates}")
    for check in checks:
        if check.requires and (check.requires not in ids or check.requires == check.id):
            raise UsageError(
                f"rubric {path}: check {check.id} requires {check.requires!r}, "
                "which is not another check of this rubric"
            )
    overrides = dict(raw.get("stages", {}))
    if unknown := sorted(set(overrides) - set(STAGE_NAMES)):
        raise UsageError(f"rubric {path}: [stages] names unknown stages {unknown}")
    checks, groups = _apply_groups(checks, raw.get("groups", {}), path)
    order = {name: i for i, name in enumerate(STAGE_NAMES)}
    return Rubric(
        homework=raw["homework"],
        title=raw["title"],
        contract=raw.get("contract", homework),
        # Checks run and are reported in stage order, rubric order within a stage.
        checks=tuple(sorted(checks, key=lambda c: order[c.stage])),
        thresholds=dict(raw.get("thresholds", {})),
        stage_overrides=overrides,
        groups=groups,
        directory=directory,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


REPO_LECTURE_HREF = "../../lectures/{page}/README.md{anchor}"  # from homework/hwN_*/README.md


def render_rubric_markdown(
    rubric: Rubric, lecture_href: str = REPO_LECTURE_HREF, pages: set[str] | None = None
) -> str:
    """The rubric as a Markdown table (homework spec, course site), each check linked to its lecture.

    ``lecture_href`` formats a link from ``page`` (``NN_slug``) and ``anchor`` (``#...`` or "")
    relative to the page that shows the table; the default suits a homework spec in the repository.
    With ``pages``, only lectures among them are linked (the others are named without a link).
    """
    lines = [
        "| Check | What is checked | Stage | Points | Visibility | Taught in |",
        "|---|---|---|---:|---|---|",
    ]
    for c in rubric.checks:
        title = f"{c.title} *({c.group})*" if c.group else c.title
        taught = ""
        if c.lecture:
            page, _, anchor = c.lecture.partition("#")
            href = lecture_href.format(page=page, anchor=f"#{anchor}" if anchor else "")
            name = f"Lecture {int(page[:2])}"
            taught = name if pages is not None and page not in pages else f"[{name}]({href})"
        lines.append(
            f"| `{c.id}` | {title} | {c.stage} | {c.points:g} | {c.visibility} | {taught} |"
        )
    lines.append(f"| | **Total** | | **{rubric.max_points:g}** | | |")
    for group in rubric.groups.values():
        lines.append(
            f"\nChecks marked *({group.name})*: {group.title or 'a capped group'}. Together they "
            f"are worth at most {group.cap:g} points: their weights ({group.weights:g}) are scaled "
            f"by {group.scale:g}."
        )
    return "\n".join(lines) + "\n"
