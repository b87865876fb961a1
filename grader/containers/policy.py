"""The course's container policy (grader/policy/containers.toml) and its rendering for the docs."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from grader.paths import POLICY_DIR

POLICY_PATH = POLICY_DIR / "containers.toml"


@cache
def load_container_policy() -> dict[str, Any]:
    """The parsed policy file (cached: it does not change during a run)."""
    return tomllib.loads(POLICY_PATH.read_text())


def rule_text(section: str, rule_id: str) -> str:
    """The student-facing text of rule ``rule_id`` in ``section`` (dockerfile, compose, kubernetes)."""
    for rule in load_container_policy()[section]["rules"]:
        if rule["id"] == rule_id:
            return str(rule["text"])
    raise KeyError(f"{section}.{rule_id}")


def render_container_policy_markdown() -> str:
    """Allowed base images, build limits and every rule, as Markdown for the course site."""
    policy = load_container_policy()
    build = policy["build"]
    lines = [
        "**Allowed base images** (the grader's machines have local copies under these names):",
        "",
    ]
    lines += [f"- `{image}`" for image in policy["base_images"]["allowed"]]
    lines += [
        "",
        f"**Build limits:** at most {build['max_seconds']} s from scratch, and between "
        f"{build['min_size_growth_mb']} and {build['max_size_growth_mb']} MB over the largest "
        "allowed base image (less is a stub with no environment for the service). `RUN` steps run in "
        "the job's own network namespace, with no route out: the grader downloads the files your "
        "`uv.lock` pins before the build and serves them on the job's loopback (in its copy of "
        "`uv.lock` the file URLs point there), so `uv sync --locked` or `--frozen` works unchanged.",
    ]
    titles = {"dockerfile": "Dockerfile", "compose": "docker-compose.yml", "kubernetes": "k8s/"}
    for section, title in titles.items():
        lines += ["", f"**{title}**", "", "| Rule | What it asks |", "|---|---|"]
        lines += [f"| `{r['id']}` | {r['text']} |" for r in policy[section]["rules"]]
    return "\n".join(lines) + "\n"
