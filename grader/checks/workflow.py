"""A submission's GitHub Actions workflows, read as data: files, triggers, jobs and steps.

Nothing here executes or fetches anything. YAML is read the way GitHub reads it (YAML 1.2
booleans: `on:` is a key, not ``True``), with limits on size and aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans only (``on``/``off``/``yes``/``no`` stay strings) and no
    implicit timestamps (a date stays the string GitHub sees)."""


_NOT_YAML_12 = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in _NOT_YAML_12]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class YamlProblem(ValueError):
    """A file that cannot be read as the YAML mapping it must be (the message is for a student)."""


MAX_DEPTH = 64  # nesting of mappings and lists: far beyond any workflow, far below the stack


def load_yaml(text: str, max_aliases: int) -> Any:
    """Parse ``text`` with YAML 1.2 booleans, refusing more than ``max_aliases`` aliases and
    nesting deeper than ``MAX_DEPTH`` (checked on the event stream, before anything recurses)."""
    try:
        aliases = depth = 0
        for event in yaml.parse(text, Loader=_Yaml12Loader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if aliases > max_aliases:
                raise YamlProblem(f"has more than {max_aliases} YAML aliases")
            if depth > MAX_DEPTH:
                raise YamlProblem(f"nests more than {MAX_DEPTH} levels deep")
        return yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise YamlProblem(f"is not valid YAML: {str(exc)[:300]}") from exc


def read_text_file(path: Path, max_bytes: int) -> str:
    """A regular file's text (not a link, at most ``max_bytes``), else YamlProblem."""
    if path.is_symlink() or not path.is_file():
        raise YamlProblem("is a symbolic link or not a regular file")
    if path.stat().st_size > max_bytes:
        raise YamlProblem(f"is larger than {max_bytes} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem("is not UTF-8 text") from exc


def as_text(value: Any) -> str:
    """A scalar as text (``None`` is empty)."""
    return "" if value is None else str(value)


def squeeze(condition: str) -> str:
    """An ``if:`` condition without ``${{ }}`` and whitespace, for pattern matching."""
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Step:
    """One step of a job."""

    index: int
    raw: dict[str, Any]

    @property
    def label(self) -> str:
        """How feedback names the step: its name, else its id, uses or first line of run."""
        for key in ("name", "id", "uses"):
            if isinstance(self.raw.get(key), str) and self.raw[key].strip():
                return f'step {self.index + 1} "{self.raw[key].strip()[:60]}"'
        first = as_text(self.raw.get("run")).strip().splitlines()[:1]
        return f'step {self.index + 1} "{first[0][:60]}"' if first else f"step {self.index + 1}"

    @property
    def uses(self) -> str | None:
        value = self.raw.get("uses")
        return value.strip() if isinstance(value, str) else None

    @property
    def run(self) -> str:
        return as_text(self.raw.get("run"))

    @property
    def condition(self) -> str:
        return squeeze(as_text(self.raw.get("if")))

    @property
    def with_(self) -> dict[str, Any]:
        value = self.raw.get("with")
        return value if isinstance(value, dict) else {}

    @property
    def env(self) -> dict[str, Any]:
        value = self.raw.get("env")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Job:
    """One job of a workflow."""

    id: str
    raw: dict[str, Any]
    steps: tuple[Step, ...]

    @property
    def needs(self) -> tuple[str, ...]:
        value = self.raw.get("needs")
        if isinstance(value, str):
            return (value,)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    @property
    def condition(self) -> str:
        return squeeze(as_text(self.raw.get("if")))

    @property
    def uses(self) -> str | None:
        """The reusable workflow this job calls, if it is such a job."""
        value = self.raw.get("uses")
        return value.strip() if isinstance(value, str) else None

    @property
    def env(self) -> dict[str, Any]:
        value = self.raw.get("env")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Workflow:
    """One workflow file."""

    path: str  # relative to the repository, e.g. ".github/workflows/ci.yml"
    text: str
    raw: dict[str, Any]
    jobs: dict[str, Job] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def name(self) -> str:
        """The workflow's name (GitHub uses the file's path when it has none)."""
        value = self.raw.get("name")
        return value if isinstance(value, str) else self.path

    @property
    def triggers(self) -> dict[str, Any]:
        """``on:`` as a mapping: event -> its filter (``None`` when the event has none)."""
        value = self.raw.get("on")
        if isinstance(value, str):
            return {value: None}
        if isinstance(value, list):
            return {v: None for v in value if isinstance(v, str)}
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}

    @property
    def env(self) -> dict[str, Any]:
        value = self.raw.get("env")
        return value if isinstance(value, dict) else {}

    def where(self, job: Job | None = None, step: Step | None = None) -> str:
        """``ci.yml › jobs.deliver › step 3 "Push"``: where a finding is, for feedback."""
        parts = [self.file]
        if job is not None:
            parts.append(f"jobs.{job.id}")
        if step is not None:
            parts.append(step.label)
        return " › ".join(parts)


def parse_workflow(path: str, text: str, max_aliases: int) -> Workflow:
    """A workflow from its text, else YamlProblem (the schema check says what is wrong in detail)."""
    raw = load_yaml(text, max_aliases)
    if not isinstance(raw, dict):
        raise YamlProblem("is not a YAML mapping with `on:` and `jobs:`")
    jobs: dict[str, Job] = {}
    raw_jobs = raw.get("jobs")
    for job_id, job in raw_jobs.items() if isinstance(raw_jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        raw_steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        steps = tuple(Step(i, s) for i, s in enumerate(raw_steps) if isinstance(s, dict))
        jobs[str(job_id)] = Job(str(job_id), job, steps)
    return Workflow(path, text, raw, jobs)


@dataclass
class WorkflowFiles:
    """What ``.github/workflows/`` holds: parsed workflows and the files that could not be read."""

    workflows: list[Workflow] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> why
    course: list[str] = field(default_factory=list)  # the course's grading workflow(s)

    @property
    def student(self) -> list[Workflow]:
        """The student's workflows: every parsed one except the course's grading workflow."""
        return [w for w in self.workflows if w.path not in self.course]

    @property
    def student_paths(self) -> list[str]:
        """Every student workflow file, readable or not."""
        return sorted([w.path for w in self.student] + list(self.unreadable))


def is_course_workflow(workflow: Workflow, course_workflow: str) -> bool:
    """Is this the course's grading workflow (every job calls the course's reusable workflow)?"""
    pattern = re.compile(rf"^[\w.-]+/[\w.-]+/{re.escape(course_workflow)}@\S+$")
    jobs = list(workflow.jobs.values())
    return bool(jobs) and all(job.uses and pattern.match(job.uses) for job in jobs)


def load_workflows(src: Path, settings: dict[str, Any]) -> WorkflowFiles:
    """Every workflow file GitHub would run (top level of the directory, ``.yml``/``.yaml``)."""
    found = WorkflowFiles()
    directory = src / settings["directory"]
    # A linked .github (or workflows) directory could point anywhere on the grader's machine.
    if not directory.is_dir() or not directory.resolve().is_relative_to(src.resolve()):
        return found
    paths = sorted(
        p for p in directory.iterdir() if p.suffix in settings["suffixes"] and not p.is_dir()
    )
    for path in paths[: int(settings["max_files"])]:
        relative = f"{settings['directory']}/{path.name}"
        try:
            text = read_text_file(path, int(settings["max_bytes"]))
            workflow = parse_workflow(relative, text, int(settings["max_aliases"]))
        except YamlProblem as exc:
            found.unreadable[relative] = str(exc)
            continue
        found.workflows.append(workflow)
        if is_course_workflow(workflow, settings["course_workflow"]):
            found.course.append(relative)
    for path in paths[int(settings["max_files"]) :]:
        found.unreadable[f"{settings['directory']}/{path.name}"] = (
            f"not read: more than {settings['max_files']} workflow files"
        )
    return found
