"""MkDocs hook: build the course site from the sources that already exist elsewhere in the repository.

What it does, and in which MkDocs event:

* ``on_config``: finds the lectures (``lectures/NN_slug/``) and the homework named in the course config,
  and builds the navigation from them, so a lecture or a homework spec that is not written yet never
  breaks the build.
* ``on_files``: adds ``lectures/NN_slug/README.md`` as the page ``lectures/NN_slug.md``, a lecture's lab
  ``lectures/NN_slug/lab/README.md`` as ``lectures/NN_slug/lab.md`` and ``homework/hwN_*/README.md`` as
  ``homework/hwN.md`` (virtual files, nothing is copied into ``docs/``).
  A lecture or homework without a README gets a short stub page that says so. Images those READMEs
  show are added at their repository path.
* ``on_page_markdown``: rewrites relative links written for browsing the repository (a lecture
  linking ``../../homework/hw1_api/README.md``) to the site pages; links to other repository files
  (examples, starters) go to the file on GitHub. On the hand-written pages it expands placeholders
  such as ``{{ rubric_table("hw1") }}`` by rendering the single source in the grader package.

Placeholders for hand-written pages (``docs/*.md``), each replaced by Markdown rendered at build time:

    {{ stage_table() }}             the grader's stage registry: order, lock, what each stage does
    {{ sandbox_policy() }}          grader/policy/sandbox.toml: visible paths, environment, limits, timeouts
    {{ container_policy() }}        grader/policy/containers.toml: base images, build limits, container/k8s rules
    {{ delivery_policy() }}         grader/policy/delivery.toml: the CI/CD workflow rules and pre-commit hooks
    {{ rubric_table("hw1") }}       rubric table from <suites>/hw1/rubric.toml (or a "not published" note)
    {{ rubric_thresholds("hw1") }}  the rubric's [thresholds] with the comments from the file
    {{ load_rule("hw1") }}          the load checks' rules, with the rubric's numbers
    {{ contract_tables("hw1") }}    endpoints, limits and features from grader/contracts/hw1.json
    {{ course_formula() }}          the grade formula, weights, deadlines, perfect-record score
    {{ late_policy() }}             grace period, penalty per day and the share kept per day late
    {{ release_schedule() }}        per homework: deadline, last accepted submission, what to release then
    {{ deadline("hw1") }}           one deadline, inline
    {{ hidden_feedback() }}         the course's setting for hidden-check feedback, inline
    {{ course_value("scale") }}     one value of the course config, inline (see _course_value)
    {{ cli_reference() }}           ``--help`` of the grader and of every command
    {{ report_schema() }}           tables from grader/report/report.schema.json, plus the schema itself
    {{ semester_roster() }}         grader/semester/class.toml: the simulated class of the rehearsal
    {{ demo("latency_lab") }}       launch command and screenshot (docs/assets/demos/<name>.png) of a demo

An unknown placeholder, or a placeholder whose source is broken, fails the build.
"""

from __future__ import annotations

import ast
import json
import logging
import posixpath
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.course_pages")

LECTURE_DIR = re.compile(r"^(\d{2})_([a-z0-9_]+)$")
HOMEWORK_DIR = re.compile(r"^(hw\d+)_[a-z0-9_]+$")
LECTURE_TARGET = re.compile(r"^lectures/(\d{2}_[a-z0-9_]+)(?:/(?:README|index)\.md)?/?$")
LAB_TARGET = re.compile(r"^lectures/(\d{2}_[a-z0-9_]+)/lab(?:/(?:README|index)\.md)?/?$")
HOMEWORK_TARGET = re.compile(r"^homework/(hw\d+)(?:_[a-z0-9_]+)?(?:/(?:README|index)\.md)?/?$")
MEDIA_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
SCREENSHOT_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg", ".svg")

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
INLINE_LINK = re.compile(r"(\]\(\s*<?)([^)\s<>]+)(>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\))")
REF_DEFINITION = re.compile(r"^(\s*\[[^\]^][^\]]*\]:\s*<?)([^\s>]+)(.*)$")
HTML_ATTRIBUTE = re.compile(r"((?:href|src)\s*=\s*\")([^\"]+)(\")")
URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\((.*?)\)\s*\}\}")
H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)

ACRONYMS = {"apis": "APIs", "api": "API", "mlops": "MLOps", "ci": "CI", "cd": "CD", "ml": "ML"}
DEMOS = {
    "model_playground": "Model playground",
    "latency_lab": "Latency lab",
    "class_dashboard": "Class dashboard",
}


@dataclass
class SourcePage:
    """A site page backed by a README elsewhere in the repository (or a stub when there is none)."""

    page: str  # src_uri of the page in the site
    origin: str  # repository path of the README, or of the folder for a stub
    title: str
    text: str | None  # README contents; None for a stub


@dataclass
class CourseSite:
    """Everything the hook learns about the repository during one build."""

    root: Path
    repo_url: str
    ref: str
    lectures: list[SourcePage] = field(default_factory=list)
    labs: list[SourcePage] = field(default_factory=list)
    homework: list[SourcePage] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)

    def pages(self) -> list[SourcePage]:
        return self.lectures + self.labs + self.homework

    def by_page(self, src_uri: str) -> SourcePage | None:
        return next((p for p in self.pages() if p.page == src_uri), None)


SITE: CourseSite | None = None


# --------------------------------------------------------------------------- discovery


def _slug_title(slug: str) -> str:
    words = [ACRONYMS.get(word, word) for word in slug.split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _first_heading(text: str) -> str | None:
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := H1.match(line)):
            return match.group(1)
    return None


def _github(site: CourseSite, repo_path: str, directory: bool) -> str:
    kind = "tree" if directory else "blob"
    return f"{site.repo_url}/{kind}/{site.ref}/{repo_path}"


def _discover(root: Path) -> CourseSite:
    from grader.course.config import load_course_config

    course = load_course_config()
    site = CourseSite(
        root=root, repo_url=f"https://github.com/{course.repository}", ref=course.grader_ref
    )
    lectures_root = root / "lectures"
    folders = (
        sorted(p for p in lectures_root.iterdir() if p.is_dir()) if lectures_root.is_dir() else []
    )
    for folder in folders:
        match = LECTURE_DIR.match(folder.name)
        if not match:
            continue
        readme = folder / "README.md"
        page = f"lectures/{folder.name}.md"
        fallback = f"Lecture {int(match.group(1))}. {_slug_title(match.group(2))}"
        if readme.is_file():
            text = readme.read_text(encoding="utf-8")
            origin = f"lectures/{folder.name}/README.md"
            site.lectures.append(SourcePage(page, origin, _first_heading(text) or fallback, text))
        else:
            site.lectures.append(SourcePage(page, f"lectures/{folder.name}", fallback, None))
        lab = folder / "lab" / "README.md"
        if lab.is_file():  # a lab appears only once it is written: no stub pages for labs
            text = lab.read_text(encoding="utf-8")
            title = _first_heading(text) or f"Lab {int(match.group(1))}"
            origin = f"lectures/{folder.name}/lab/README.md"
            site.labs.append(SourcePage(f"lectures/{folder.name}/lab.md", origin, title, text))
    for homework in course.weights:
        number = homework.removeprefix("hw")
        folders = sorted((root / "homework").glob(f"{homework}_*"))
        folders = [f for f in folders if f.is_dir() and HOMEWORK_DIR.match(f.name)]
        page = f"homework/{homework}.md"
        fallback = f"Homework {number}"
        readme = folders[0] / "README.md" if folders else None
        if readme is not None and readme.is_file():
            text = readme.read_text(encoding="utf-8")
            origin = f"homework/{folders[0].name}/README.md"
            site.homework.append(SourcePage(page, origin, _first_heading(text) or fallback, text))
        else:
            origin = f"homework/{folders[0].name}" if folders else "homework"
            site.homework.append(SourcePage(page, origin, fallback, None))
    return site


def _nav(site: CourseSite) -> list[dict[str, Any]]:
    return [
        {"Course": ["index.md", "syllabus.md", "grading.md", "demos.md"]},
        {"Lectures": [p.page for p in site.lectures]},
        *([{"Labs": [p.page for p in site.labs]}] if site.labs else []),
        {"Homework": [p.page for p in site.homework]},
        {
            "Guides": [
                "guides/student.md",
                "guides/instructor.md",
                "guides/runbook.md",
                "guides/faq.md",
            ]
        },
        {"Reference": ["reference/grader.md"]},
    ]


# --------------------------------------------------------------------------- Markdown scanning


def _outside_code(text: str) -> Iterator[tuple[int, str]]:
    """Yield (index, line) for every line that is not inside a fenced code block."""
    fence: str | None = None
    for index, line in enumerate(text.split("\n")):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            closing = match is not None and match.group(1)[0] == fence[0]
            if closing and len(match.group(1)) >= len(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        yield index, line


def _map_outside_spans(line: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to the parts of ``line`` that are not inline code spans."""
    parts, last = [], 0
    for span in CODE_SPAN.finditer(line):
        parts.append(change(line[last : span.start()]))
        parts.append(span.group(0))
        last = span.end()
    parts.append(change(line[last:]))
    return "".join(parts)


def _link_targets(line: str) -> Iterator[str]:
    found: list[str] = []

    def collect(segment: str) -> str:
        found.extend(m.group(2) for m in INLINE_LINK.finditer(segment))
        found.extend(m.group(2) for m in HTML_ATTRIBUTE.finditer(segment))
        if match := REF_DEFINITION.match(segment):
            found.append(match.group(2))
        return segment

    _map_outside_spans(line, collect)
    yield from found


def _rewrite_links(text: str, rewrite: Callable[[str], str | None]) -> str:
    lines = text.split("\n")

    def fix(match: re.Match[str]) -> str:
        new = rewrite(match.group(2))
        return match.group(0) if new is None else f"{match.group(1)}{new}{match.group(3)}"

    def change(segment: str) -> str:
        segment = INLINE_LINK.sub(fix, segment)
        segment = HTML_ATTRIBUTE.sub(fix, segment)
        return REF_DEFINITION.sub(fix, segment)

    for index, line in _outside_code(text):
        lines[index] = _map_outside_spans(line, change)
    return "\n".join(lines)


def _resolve(site: CourseSite, url: str, origin: str, page: str) -> str | None:
    """The site-relative replacement for a link written in the repository file ``origin``."""
    if not url or url.startswith(("#", "/")) or URL_SCHEME.match(url):
        return None
    path, _, fragment = url.partition("#")
    path = unquote(path.split("?", 1)[0])
    anchor = f"#{fragment}" if fragment else ""
    if not path:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(origin), path))
    if target == ".." or target.startswith("../"):
        return None
    in_docs = origin.startswith("docs/")
    if target.startswith("docs/"):
        if in_docs:
            return None  # a link between hand-written pages: MkDocs resolves it
        site_path: str | None = target.removeprefix("docs/")
    else:
        site_path = _site_page(site, target)
    if site_path is None and target in site.assets:
        site_path = target
    if site_path is not None:
        relative = posixpath.relpath(site_path, posixpath.dirname(page) or ".")
        return f"{relative}{anchor}"
    absolute = site.root / target
    if absolute.exists():
        return f"{_github(site, target, absolute.is_dir())}{anchor}"
    return None  # unknown: left as written, so a strict build reports it


def _site_page(site: CourseSite, target: str) -> str | None:
    if match := LAB_TARGET.match(target):
        return next(
            (p.page for p in site.labs if p.page == f"lectures/{match.group(1)}/lab.md"), None
        )
    if match := LECTURE_TARGET.match(target):
        return next(
            (p.page for p in site.lectures if p.page == f"lectures/{match.group(1)}.md"), None
        )
    if match := HOMEWORK_TARGET.match(target):
        return next(
            (p.page for p in site.homework if p.page == f"homework/{match.group(1)}.md"), None
        )
    if target == "lectures":
        return "syllabus.md"
    return None


# --------------------------------------------------------------------------- stub pages


def _stub(site: CourseSite, source: SourcePage) -> str:
    folder = site.root / source.origin
    where = ""
    if folder.is_dir() and source.origin != "homework":
        where = (
            f" What exists so far is in [`{source.origin}/`]({_github(site, source.origin, True)})."
        )
    if source.page.startswith("lectures/"):
        return (
            f"# {source.title}\n\n"
            '!!! info "Notes in preparation"\n'
            f"    The notes for this lecture are being written.{where}\n"
        )
    homework = posixpath.basename(source.page).removesuffix(".md")
    return (
        f"# {source.title}\n\n"
        '!!! info "Specification not published yet"\n'
        f"    The specification of {homework} will appear here when it is released.{where} "
        "The [syllabus](../syllabus.md#how-the-homework-build-on-each-other) says what it adds to "
        "the service.\n\n"
        "## Rubric\n\n"
        f"{_rubric_table(homework)}"
    )


def _source_footer(site: CourseSite, source: SourcePage) -> str:
    url = _github(site, source.origin, False)
    return f"\n\n---\n\n<small>This page is rendered from [`{source.origin}`]({url}) in the course repository.</small>\n"


# --------------------------------------------------------------------------- placeholders


def _note(kind: str, title: str, body: str) -> str:
    return f'!!! {kind} "{title}"\n    {body}\n'


def _rubric_table(homework: str) -> str:
    from grader.errors import UsageError
    from grader.paths import DEFAULT_SUITES_DIR
    from grader.rubric import load_rubric, render_rubric_markdown

    try:
        rubric = load_rubric(homework, DEFAULT_SUITES_DIR)
    except UsageError:
        return _note(
            "note",
            f"The {homework} rubric is not published yet",
            "It appears here when its suite is released.",
        )
    visible = sum(c.visibility == "visible" for c in rubric.checks)
    hidden = len(rubric.checks) - visible
    summary = (
        f"**{homework}: {rubric.title}.** {len(rubric.checks)} checks worth {rubric.max_points:g} points: "
        f"{visible} visible, {hidden} hidden.\n\n"
    )
    # Placeholders expand on pages at the docs root, where a lecture is the page lectures/NN_slug.md.
    pages = (
        {p.page.removeprefix("lectures/").removesuffix(".md") for p in SITE.lectures}
        if SITE
        else None
    )
    return summary + render_rubric_markdown(rubric, "lectures/{page}.md{anchor}", pages)


def _rubric_thresholds(homework: str) -> str:
    from grader.paths import DEFAULT_SUITES_DIR

    path = DEFAULT_SUITES_DIR / homework / "rubric.toml"
    if not path.is_file():
        return _note(
            "note",
            f"The {homework} rubric is not published yet",
            "Its thresholds appear here when it is.",
        )
    text = path.read_text(encoding="utf-8")
    thresholds = tomllib.loads(text).get("thresholds", {})
    comments: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section == "[thresholds]" and "=" in stripped and "#" in stripped:
            key = stripped.split("=", 1)[0].strip()
            comments[key] = stripped.split("#", 1)[1].strip()
    lines = ["| Threshold | Value | Meaning |", "|---|---:|---|"]
    for key, value in thresholds.items():
        meaning = comments.get(key, "").replace("|", "\\|")
        lines.append(f"| `{key}` | {value} | {meaning} |")
    return "\n".join(lines) + "\n"


def _load_rule(homework: str) -> str:
    from grader.errors import UsageError
    from grader.load.calibration import VARIANTS, calibration_variant
    from grader.paths import DEFAULT_SUITES_DIR
    from grader.rubric import load_rubric

    try:
        rubric = load_rubric(homework, DEFAULT_SUITES_DIR)
        t = rubric.thresholds
    except UsageError:
        return _note(
            "note",
            f"The {homework} rubric is not published yet",
            "Its load thresholds appear here when it is.",
        )
    needed = ("load_users_steps", "load_step_seconds", "load_windows", "load_ratio_full")
    if not all(key in t for key in needed):
        return f"The {homework} rubric has no load stage.\n"
    steps = ", ".join(str(u) for u in t["load_users_steps"])
    return (
        f"- **Schedule**: a step load without think time: {steps} simulated users, "
        f"{_number(float(t['load_step_seconds']))} s per step (its first quarter is a ramp and is not "
        f"measured), repeated in {t['load_windows']} windows. Each user sends its next `POST /predict` "
        "as soon as the last one is answered, so the request rate is whatever your service sustains.\n"
        f"- **Capacity**: the highest successful request rate of a step in which at most "
        f"{_number(float(t['load_max_error_rate']) * 100)}% of requests fail and p95 stays within "
        f"{_number(float(t['load_p95_bound_ms']))} ms; your capacity is your best window's.\n"
        f"- **`load.capacity`**: points follow your capacity divided by the calibration service's "
        f"({VARIANTS[calibration_variant(rubric.settings('load'))].description}), "
        f"measured with the same schedule on the same machine: none at a ratio of "
        f"{_number(float(t['load_ratio_zero']))} or less, all at {_number(float(t['load_ratio_full']))} "
        "or more, linear in between.\n"
        f"- **`load.error_rate`**: over the whole stress test at most "
        f"{_number(float(t['load_max_error_rate']) * 100)}% of requests fail (an error status, a "
        "malformed body, a timeout, a dropped connection).\n"
        "- A service that exits during the stress test, or no longer answers `/health` after it, loses "
        "both. The report shows every step (users, requests per second, p50, p95, errors) for your "
        "service and the calibration service, and `load.png` draws them.\n"
    )


def _contract_tables(homework: str) -> str:
    from grader.contracts import load_contract, render_contract_markdown
    from grader.errors import UsageError

    try:
        contract = load_contract(homework)
    except UsageError:
        return _note(
            "note",
            f"The {homework} contract is not published yet",
            "It appears here when it is released.",
        )
    return render_contract_markdown(contract)


def _course():
    from grader.course.config import load_course_config

    return load_course_config()


def _number(value: float, digits: int = 6) -> str:
    return f"{round(value, digits):g}"


def _course_formula() -> str:
    course = _course()
    weights = list(course.weights.values())
    total = sum(weights)
    perfect = course.scale * total
    if len(set(weights)) == 1:
        addition = f"{_number(weights[0])} × {len(weights)}"
    else:
        addition = " + ".join(_number(w) for w in weights)
    scale, perfect_text = _number(course.scale), _number(perfect, course.rounding)
    lines = [
        "```text",
        f"final = {scale} * ({course.formula()})",
        "```",
        "",
        "| Homework | Weight | Deadline |",
        "|---|---:|---|",
    ]
    for homework, weight in course.weights.items():
        lines.append(f"| {homework} | {_number(weight)} | {_deadline(homework)} |")
    lines.append("")
    if abs(total - 1) > 1e-9:
        lines += [
            f'!!! warning "A perfect record scores {perfect_text} of {scale}"',
            f"    The weights add up to {addition} = {_number(total)}, not 1, so full marks on every homework "
            f"give {scale} × {_number(total)} = {perfect_text}. That is the course's formula, applied "
            "exactly as written; no rounding or bonus hides it.",
        ]
    else:
        lines.append(f"The weights add up to 1, so a perfect record scores {scale}.")
    lines += [
        "",
        f"The final grade is rounded to {course.rounding} decimal places.",
    ]
    return "\n".join(lines) + "\n"


def _deadline(homework: str) -> str:
    course = _course()
    moment = course.deadlines.get(homework)
    if moment is None:
        return "not set"
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _late_policy() -> str:
    from grader.course.final import late_factor

    course = _course()
    grace = _number(course.grace_minutes)
    lines = [
        f"- Up to **{grace} minutes** after the deadline counts as on time (grace period).",
        f"- After that, every started day late costs **{_number(course.penalty_per_day * 100)}%** of the "
        "homework's score.",
        f"- More than **{course.max_days_late} days** late scores 0.",
        "- A submission's time is its commit time, or the time given in the submissions file.",
        "",
        "| Days late (started) | Share of the score kept |",
        "|---:|---:|",
    ]
    for days in range(course.max_days_late + 2):
        label = f"{days}" if days <= course.max_days_late else f"more than {course.max_days_late}"
        lines.append(f"| {label} | {_number(late_factor(days, course) * 100, 2)}% |")
    return "\n".join(lines) + "\n"


def _release_schedule() -> str:
    """When each homework's last submission is accepted, and so when the next starter may go out."""
    from grader.course.final import last_accepted

    course = _course()
    homeworks = sorted(course.deadlines)
    lines = [
        "| Homework | Deadline | Last submission that earns points | Then release |",
        "|---|---|---|---|",
    ]
    for index, homework in enumerate(homeworks):
        last = last_accepted(course.deadlines[homework], course)
        offset = last.strftime("%z")
        following = homeworks[index + 1] if index + 1 < len(homeworks) else None
        release = (
            f"the {following} starter (it contains the {homework} reference)"
            if following
            else f"the {homework} reference solution"
        )
        lines.append(
            f"| {homework} | {_deadline(homework)} | "
            f"{last:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]}) | {release} |"
        )
    return "\n".join(lines) + "\n"


def _hidden_feedback() -> str:
    meaning = {
        "full": "students see the status, points and full feedback of hidden checks",
        "status": "students see whether each hidden check passed and its points, but not its feedback",
        "none": "students see only the total of the hidden points, not the individual checks",
    }
    setting = _course().hidden_feedback
    return f"`{setting}`: {meaning[setting]}"


def _course_value(name: str) -> str:
    course = _course()
    values = {
        "scale": _number(course.scale),
        "rounding": str(course.rounding),
        "formula": course.formula(),
        "weight_sum": _number(sum(course.weights.values())),
        "perfect": _number(course.scale * sum(course.weights.values()), course.rounding),
        "repository": course.repository,
        "grader_ref": course.grader_ref,
        "grace_minutes": _number(course.grace_minutes),
        "penalty_percent": _number(course.penalty_per_day * 100),
        "max_days_late": str(course.max_days_late),
    }
    if name not in values:
        raise PluginError(f"course_value: unknown field {name!r} (known: {', '.join(values)})")
    return values[name]


def _cli_reference() -> str:
    from typer.testing import CliRunner

    from grader.cli import app  # every command module registers itself on import

    runner = CliRunner()
    env = {"TERMINAL_WIDTH": "80", "NO_COLOR": "1", "COLUMNS": "80"}

    def help_text(args: list[str]) -> str:
        result = runner.invoke(app, [*args, "--help"], prog_name="grader", env=env)
        if result.exit_code != 0:
            raise PluginError(f"grader {' '.join(args)} --help failed: {result.output}")
        lines = [line.rstrip() for line in result.output.splitlines()]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(line[1:] if line.startswith(" ") else line for line in lines)

    import typer.main

    group = typer.main.get_command(app)
    names = list(getattr(group, "commands", {}))
    sections = ["```text", help_text([]), "```", ""]
    for name in names:
        sections += [f"### `grader {name}`", "", "```text", help_text([name]), "```", ""]
    return "\n".join(sections)


def _schema_type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "one of " + ", ".join(f"`{v}`" for v in spec["enum"])
    kind = spec.get("type", "any")
    text = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(spec.get("items"), dict):
        text += f" of {spec['items'].get('type', 'any')}"
    if "pattern" in spec:
        text += f" matching `{spec['pattern']}`".replace("|", "\\|")
    if "minimum" in spec:
        text += f", at least {spec['minimum']}"
    return text


def _schema_table(name: str, spec: dict[str, Any], out: list[str]) -> None:
    required = set(spec.get("required", []))
    out += [f"**`{name}`**" + (f": {spec['description']}" if spec.get("description") else ""), ""]
    out += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    nested: list[tuple[str, dict[str, Any]]] = []
    properties = dict(spec.get("properties", {}))
    for key in spec.get("required", []):
        properties.setdefault(key, {})  # required but not described further by the schema
    for key, child in properties.items():
        description = child.get("description", "").replace("|", "\\|")
        out.append(
            f"| `{key}` | {_schema_type(child)} | {'yes' if key in required else 'no'} | {description} |"
        )
        if child.get("properties"):
            nested.append((f"{name}.{key}", child))
        items = child.get("items")
        if isinstance(items, dict) and items.get("properties"):
            nested.append((f"{name}.{key}[]", items))
    out.append("")
    for child_name, child in nested:
        _schema_table(child_name, child, out)


def _report_schema() -> str:
    from grader.paths import PACKAGE_DIR

    path = PACKAGE_DIR / "report" / "report.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    out: list[str] = []
    _schema_table("report", schema, out)
    out += [
        '??? note "The complete schema (`grader/report/report.schema.json`)"',
        "    ```json",
        *("    " + line for line in json.dumps(schema, indent=2, ensure_ascii=False).splitlines()),
        "    ```",
        "",
    ]
    return "\n".join(out)


def _demo(name: str, page: str) -> str:
    site = _site()
    title = DEMOS.get(name, _slug_title(name))
    script = f"demos/{name}.py"
    lines = ["```bash", f"uv run streamlit run {script}", "```", ""]
    if not (site.root / script).is_file():
        lines += [
            _note("warning", "Not in the repository yet", f"`{script}` has not been added yet.")
        ]
    docs_dir = site.root / "docs"
    candidates = [
        f"{stem}{suffix}"
        for stem in (name, name.replace("_", "-"))
        for suffix in SCREENSHOT_SUFFIXES
    ]
    screenshot = next(
        (f"assets/demos/{c}" for c in candidates if (docs_dir / "assets" / "demos" / c).is_file()),
        None,
    )
    if screenshot is not None:
        relative = posixpath.relpath(screenshot, posixpath.dirname(page) or ".")
        lines.append(f"![{title}]({relative})")
    else:
        lines.append(
            _note(
                "note", "Screenshot coming", f"A screenshot of the {title.lower()} will be added."
            )
        )
    return "\n".join(lines) + "\n"


def _site() -> CourseSite:
    if SITE is None:
        raise PluginError("course_pages: the hook's on_config did not run")
    return SITE


def _stage_table() -> str:
    from grader.stages import render_stage_table

    return render_stage_table()


def _semester_roster() -> str:
    from grader.semester.render import render_roster_markdown

    return render_roster_markdown()


def _sandbox_policy() -> str:
    from grader.sandbox.policy import render_policy_markdown

    return render_policy_markdown()


def _container_policy() -> str:
    from grader.containers.policy import render_container_policy_markdown

    return render_container_policy_markdown()


def _delivery_policy() -> str:
    from grader.checks.delivery_policy import render_delivery_policy_markdown

    return render_delivery_policy_markdown()


PLACEHOLDERS: dict[str, Callable[..., str]] = {
    "stage_table": _stage_table,
    "sandbox_policy": _sandbox_policy,
    "container_policy": _container_policy,
    "delivery_policy": _delivery_policy,
    "rubric_table": _rubric_table,
    "rubric_thresholds": _rubric_thresholds,
    "load_rule": _load_rule,
    "contract_tables": _contract_tables,
    "course_formula": _course_formula,
    "course_value": _course_value,
    "deadline": _deadline,
    "late_policy": _late_policy,
    "release_schedule": _release_schedule,
    "hidden_feedback": _hidden_feedback,
    "cli_reference": _cli_reference,
    "report_schema": _report_schema,
    "demo": _demo,
    "semester_roster": _semester_roster,
}
NEEDS_PAGE = {"demo"}


def _expand_placeholders(text: str, page: str) -> str:
    lines = text.split("\n")

    def render(match: re.Match[str]) -> str:
        name, raw_args = match.group(1), match.group(2).strip()
        function = PLACEHOLDERS.get(name)
        if function is None:
            raise PluginError(
                f"{page}: unknown placeholder {match.group(0)!r} (known: {', '.join(PLACEHOLDERS)})"
            )
        try:
            args = ast.literal_eval(f"({raw_args},)") if raw_args else ()
        except (SyntaxError, ValueError) as exc:
            raise PluginError(f"{page}: bad arguments in {match.group(0)!r}: {exc}") from exc
        if name in NEEDS_PAGE:
            args = (*args, page)
        try:
            return function(*args).rstrip("\n")
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"{page}: {match.group(0)} failed: {type(exc).__name__}: {exc}"
            ) from exc

    for index, line in enumerate(lines):  # code blocks too: commands can name configured values
        if not PLACEHOLDER.search(line):
            continue
        whole = PLACEHOLDER.fullmatch(line.strip())
        if whole:  # a block placeholder: keep the indentation for every line it renders
            indent = line[: len(line) - len(line.lstrip())]
            lines[index] = "\n".join(
                indent + out if out else out for out in render(whole).split("\n")
            )
        else:
            lines[index] = PLACEHOLDER.sub(render, line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- MkDocs events


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global SITE
    root = Path(config.config_file_path).resolve().parent
    SITE = _discover(root)
    config.nav = _nav(SITE)
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    site = _site()
    for source in site.pages():
        if files.get_file_from_path(source.page) is not None:
            raise PluginError(
                f"docs/{source.page} would hide {source.origin}: remove it from docs/"
            )
        content = _stub(site, source) if source.text is None else source.text
        files.append(File.generated(config, source.page, content=content))
        if source.text is None:
            continue
        for _, line in _outside_code(source.text):
            for url in _link_targets(line):
                _add_asset(site, files, config, source.origin, url)
    stubs = [p.page for p in site.pages() if p.text is None]
    log.info(
        "course_pages: %d lecture, %d lab and %d homework pages; stubs for %s",
        len(site.lectures),
        len(site.labs),
        len(site.homework),
        ", ".join(stubs) or "none",
    )
    return files


def _add_asset(site: CourseSite, files: Files, config: MkDocsConfig, origin: str, url: str) -> None:
    if not url or url.startswith(("#", "/")) or URL_SCHEME.match(url):
        return
    path = unquote(url.partition("#")[0].split("?", 1)[0])
    target = posixpath.normpath(posixpath.join(posixpath.dirname(origin), path))
    absolute = site.root / target
    if (
        target.startswith(("lectures/", "homework/"))
        and Path(target).suffix.lower() in MEDIA_SUFFIXES
        and absolute.is_file()
        and target not in site.assets
        and files.get_file_from_path(target) is None
    ):
        site.assets.add(target)
        files.append(File.generated(config, target, abs_src_path=str(absolute)))


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    site = _site()
    src_uri = page.file.src_uri
    source = site.by_page(src_uri)
    if source is not None:
        if source.text is None:
            return markdown
        rewritten = _rewrite_links(
            markdown, lambda url: _resolve(site, url, source.origin, src_uri)
        )
        return rewritten + _source_footer(site, source)
    origin = f"docs/{src_uri}"
    markdown = _expand_placeholders(markdown, src_uri)
    return _rewrite_links(markdown, lambda url: _resolve(site, url, origin, src_uri))
