"""Lab 8 self-check: the CI workflow validates, follows the policy, and a failing check turns it red."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lab08_dry_run import dry_run  # noqa: E402

LAB = HERE.parent
POLICY = tomllib.loads((HERE / "lab08_policy.toml").read_text())
# The same rule as conftest.py: the code under test comes from $LAB_DIR, by default the starter.
WORKFLOW = Path(os.environ.get("LAB_DIR", LAB / "starter")).resolve() / "ci.yml"


@pytest.fixture(scope="module")
def text() -> str:
    assert WORKFLOW.is_file(), f"{WORKFLOW} is missing"
    return WORKFLOW.read_text()


@pytest.fixture(scope="module")
def workflow(text: str) -> dict[str, Any]:
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict), "the workflow must be a YAML mapping"
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def _triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow.get("on", {})
    if isinstance(on, str):
        return {on}
    return set(on)


def test_the_workflow_validates_against_the_github_schema() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_triggers(workflow: dict[str, Any]) -> None:
    triggers = _triggers(workflow)
    missing = set(POLICY["triggers"]["required"]) - triggers
    forbidden = set(POLICY["triggers"]["forbidden"]) & triggers
    assert not missing, f"the workflow must also run on: {sorted(missing)}"
    assert not forbidden, f"never trigger on: {sorted(forbidden)}"


def test_the_token_is_read_only(workflow: dict[str, Any]) -> None:
    rules = POLICY["permissions"]
    assert workflow.get("permissions") == rules["top_level"], (
        f"top-level permissions must be exactly {rules['top_level']}"
    )
    if not rules["job_may_write"]:
        for name, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            writes = granted == "write-all" or (
                isinstance(granted, dict) and "write" in granted.values()
            )
            assert not writes, f"job {name} asks for write access: {granted}"


def test_every_job_has_a_bounded_timeout(workflow: dict[str, Any]) -> None:
    limit = POLICY["jobs"]["max_timeout_minutes"]
    for name, job in workflow["jobs"].items():
        minutes = job.get("timeout-minutes")
        assert isinstance(minutes, int) and 0 < minutes <= limit, (
            f"job {name}: timeout-minutes must be set, at most {limit} (the default is 360)"
        )


def test_actions_are_pinned_to_a_commit_with_the_tag_as_a_comment(text: str) -> None:
    rules = POLICY["actions"]
    found = re.findall(r"uses:\s*([^\s#]+)[ \t]*(?:#[ \t]*(\S+))?", text)
    assert found, "the workflow uses no actions (at least actions/checkout)"
    for ref, comment in found:
        if ref.startswith("./"):
            continue
        assert re.match(rules["pinned"], ref), f"{ref} is not pinned to a full commit SHA"
        assert re.match(rules["tag_comment"], comment or ""), (
            f"{ref}: add the release tag as a comment, e.g. '# v4.2.2'"
        )


def test_checkout_does_not_keep_the_token(workflow: dict[str, Any]) -> None:
    checkouts = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith(POLICY["actions"]["checkout"] + "@")
    ]
    assert checkouts, "no job checks out the code"
    for step in checkouts:
        assert (step.get("with") or {}).get("persist-credentials") is False, (
            "set persist-credentials: false on actions/checkout"
        )


def test_the_checks_run_in_order(workflow: dict[str, Any], tmp_path: Path) -> None:
    run = dry_run(workflow, tmp_path)
    assert run.green, f"with every tool succeeding the run must be green: {run.jobs}"
    position = 0
    for command in POLICY["commands"]["required_in_order"]:
        later = [i for i, line in enumerate(run.commands) if i >= position and command in line]
        assert later, f"`{command}` does not run (after the previous checks); ran: {run.commands}"
        position = later[0] + 1


@pytest.mark.parametrize("command", POLICY["commands"]["must_fail_the_run"])
def test_a_failing_check_fails_the_run(
    workflow: dict[str, Any], tmp_path: Path, command: str
) -> None:
    run = dry_run(workflow, tmp_path, fail_on=command)
    assert any(command in line for line in run.commands), f"`{command}` never runs"
    assert not run.green, f"`{command}` failed but every job succeeded: {run.jobs}"
