"""The stage registry: the one ordered list of grading stages and the checks each one records.

A stage is a module with ``CHECKS`` (the ids of the checks it records, written nowhere else in
the grader) and ``run(ctx)``. Rubrics name check ids; :func:`check_stages` is what they are
validated against, and a check's stage is always derived from here. ``lock`` says how a stage
shares the machine: ``shared`` stages of many jobs run at once, an ``exclusive`` stage (the load
window) runs alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, Literal


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline."""

    name: str
    module: str
    lock: Literal["shared", "exclusive"] = "shared"
    description: str = ""

    def load(self) -> ModuleType:
        """The stage's module (imported on first use: heavy libraries load only when needed)."""
        return importlib.import_module(self.module)

    @property
    def checks(self) -> tuple[str, ...]:
        """The check ids this stage records."""
        return tuple(self.load().CHECKS)

    @property
    def run(self) -> Callable[[Any], None]:
        """``run(ctx)``: record every wanted check of this stage."""
        return self.load().run


STAGES: tuple[Stage, ...] = (
    Stage("install", "grader.stages.install", description="the environment, then `train`"),
    Stage("static", "grader.stages.static", description="required files and the lint policy"),
    Stage(
        "delivery",
        "grader.stages.delivery",
        description="the CI/CD workflow (schema, actionlint, the course's policy) and the "
        "pre-commit configuration, read as data",
    ),
    Stage("tests", "grader.stages.tests", description="the public tests and your own suite"),
    Stage("api", "grader.stages.api", description="black-box HTTP checks of the running service"),
    Stage(
        "database",
        "grader.stages.database",
        description="what the service stores in the job's own PostgreSQL, over HTTP and SQL",
    ),
    Stage(
        "observability",
        "grader.stages.observability",
        description="metrics scraped around the grader's own requests and the service's JSON "
        "log lines, before any Prometheus scrapes the service",
    ),
    Stage(
        "faults",
        "grader.stages.faults",
        description="the job's database stopped and restarted under load; the service restarted",
    ),
    Stage("load", "grader.stages.load", lock="exclusive", description="the load test"),
    Stage(
        "monitoring",
        "grader.stages.monitoring",
        description="promtool on your configuration, rules and rule tests, the grader's hidden "
        "rule tests, and a real Prometheus scraping the service (rules, dashboard queries, "
        "ServiceDown once the grader stops the service)",
    ),
    Stage(
        "container",
        "grader.stages.container",
        description="Dockerfile and compose policy; the image built (one build at a time on the "
        "machine: builds want every core, so they take their own lock while other jobs' stages go "
        "on) and run against the job's database",
    ),
    Stage(
        "kube",
        "grader.stages.kube",
        description="`k8s/` rendered and validated, the course's rules, the app Deployment played",
    ),
)
STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)


def stage(name: str) -> Stage:
    """The stage called ``name`` (KeyError otherwise)."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(name)


@cache
def check_stages() -> dict[str, str]:
    """Every check id the grader implements, mapped to its stage."""
    registry: dict[str, str] = {}
    for s in STAGES:
        for check_id in s.checks:
            if check_id in registry:
                raise RuntimeError(f"check {check_id} is registered by two stages")
            registry[check_id] = s.name
    return registry


def render_stage_table() -> str:
    """The registry as a Markdown table (course site): order, lock and what each stage does."""
    lines = ["| # | Stage | Runs | What it does |", "|---:|---|---|---|"]
    for number, s in enumerate(STAGES, start=1):
        runs = "alone (exclusive lock)" if s.lock == "exclusive" else "beside other jobs"
        lines.append(f"| {number} | `{s.name}` | {runs} | {s.description} |")
    return "\n".join(lines) + "\n"
