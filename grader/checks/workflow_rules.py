"""``delivery.workflow_policy``: the course's CI/CD rules (grader/policy/delivery.toml) on the workflows.

Each rule returns the problems it finds, each naming the file, job and step that break it. The
patterns a rule looks for are policy data; this module only says where to look.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from grader.checks.coverage_gate import configured_gate
from grader.checks.policy_text import compile_all, scalars, search
from grader.checks.workflow import Job, Step, Workflow, as_text, squeeze
from grader.checks.workflow_secrets import inline_secret_problems

MAX_PROBLEMS_PER_RULE = 8


@dataclass
class RuleOutcome:
    """One rule: its policy entry and what breaks it (nothing: kept)."""

    id: str
    text: str
    weight: float
    problems: list[str] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        return not self.problems


class PolicyEvaluator:
    """The workflow rules over a submission's workflows (the course's grading workflow excluded)."""

    def __init__(
        self,
        workflows: list[Workflow],
        src: Path,
        floor_percent: float,
        policy: dict[str, Any],
        precommit_hooks: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.workflows = workflows
        self.src = src
        self.floor = floor_percent
        self.policy = policy["policy"]
        # The course's own reusable grading workflow is called at a branch, as the course says.
        self.course_call = re.compile(
            rf"^[\w.-]+/[\w.-]+/{re.escape(policy['workflows']['course_workflow'])}@\S+$"
        )
        self.precommit_hooks = set(precommit_hooks)
        self.patterns = {k: compile_all(v) for k, v in self.policy["commands"].items()}
        branches = "(" + "|".join(re.escape(b) for b in self.policy["default_branches"]) + ")"
        self.patterns["default_branch_if"] = compile_all(
            [p.replace("{branch}", branches) for p in self.policy["commands"]["default_branch_if"]]
        )
        self._gated: dict[tuple[str, str], bool] = {}

    # --- what a step runs ------------------------------------------------------------------------

    def command(self, step: Step) -> str:
        """What the step runs: its script, or the command a known action stands for."""
        if step.uses:
            name = step.uses.split("@", 1)[0].lower()
            known = self.policy["action_commands"].get(name)
            if known:
                args = as_text(step.with_.get("args")) or known["default_args"]
                pushes = step.with_.get("push")
                push = (
                    "--push"
                    if pushes is True
                    or "${{" in as_text(pushes)
                    or as_text(pushes).lower() == "true"
                    else ""
                )
                return known["command"].format(args=args, push=push)
            return ""
        return step.run

    def runs(self, job: Job, pattern: str) -> list[Step]:
        """The job's steps whose command matches the policy's ``pattern`` list."""
        return [s for s in job.steps if search(self.patterns[pattern], self.command(s))]

    def all_steps(self, pattern: str) -> list[tuple[Workflow, Job, Step]]:
        return [
            (w, j, s)
            for w in self.workflows
            for j in w.jobs.values()
            for s in self.runs(j, pattern)
        ]

    def job_text(self, workflow: Workflow, job: Job) -> str:
        """Every scalar of the job (and the workflow's env), with known actions' commands."""
        parts = [as_text(v) for _, _, v in scalars(job.raw)]
        parts += [as_text(v) for _, _, v in scalars(workflow.env)]
        parts += [self.command(s) for s in job.steps]
        return "\n".join(parts)

    # --- the job graph ---------------------------------------------------------------------------

    def ancestors(self, workflow: Workflow, job: Job) -> list[Job]:
        """Every job ``job`` needs, directly or through others."""
        seen: dict[str, Job] = {}
        stack = list(job.needs)
        while stack:
            name = stack.pop()
            if name in seen or name not in workflow.jobs:
                continue
            seen[name] = workflow.jobs[name]
            stack.extend(workflow.jobs[name].needs)
        return list(seen.values())

    def runs_anyway(self, condition: str) -> bool:
        return search(self.patterns["runs_anyway_if"], condition) is not None

    def branch_condition(self, condition: str) -> bool:
        return search(self.patterns["default_branch_if"], condition) is not None

    def workflow_on_default_branch(self, workflow: Workflow) -> bool:
        """Triggered only by ``push`` / ``workflow_run`` limited to default branches."""
        triggers = workflow.triggers
        if not triggers:
            return False
        defaults = set(self.policy["default_branches"])
        for event, spec in triggers.items():
            if event not in ("push", "workflow_run") or not isinstance(spec, dict):
                return False
            branches = spec.get("branches")
            if (
                not isinstance(branches, list)
                or not branches
                or not set(map(str, branches)) <= defaults
            ):
                return False
        return True

    def gated(self, workflow: Workflow, job: Job, seen: frozenset[str] = frozenset()) -> bool:
        """Does the job run only for the default branch (itself, its workflow, or a job it needs)?"""
        key = (workflow.path, job.id)
        if key in self._gated:
            return self._gated[key]
        result = self.workflow_on_default_branch(workflow) or self.branch_condition(job.condition)
        if result and "workflow_run" in workflow.triggers:  # github.ref is always the default
            chain = [job, *self.ancestors(workflow, job)]
            result = any(search(self.patterns["workflow_run_push_if"], j.condition) for j in chain)
        if not result and not self.runs_anyway(job.condition):
            result = any(
                self.gated(workflow, workflow.jobs[n], seen | {job.id})
                for n in job.needs
                if n in workflow.jobs and n not in seen
            )
        self._gated[key] = result
        return result

    def step_gated(self, workflow: Workflow, job: Job, step: Step) -> bool:
        """The job is gated, or the step's ``if:`` (or an action's ``push:`` expression) is."""
        push = squeeze(as_text(step.with_.get("push"))) if step.uses else ""
        return (
            self.gated(workflow, job)
            or self.branch_condition(step.condition)
            or self.branch_condition(push)
        )

    def tests_workflows(self) -> list[Workflow]:
        return [w for w in self.workflows if any(self.runs(j, "pytest") for j in w.jobs.values())]

    @cached_property
    def pushes(self) -> list[tuple[Workflow, Job, Step]]:
        """Every step that pushes an image."""
        return self.all_steps("push")

    @cached_property
    def push_jobs(self) -> set[tuple[str, str]]:
        return {(w.path, j.id) for w, j, _ in self.pushes}

    # --- the rules -------------------------------------------------------------------------------

    def triggers(self) -> list[str]:
        with_tests = self.tests_workflows()
        scope = with_tests or self.workflows
        seen = {event for w in scope for event in w.triggers}
        missing = [e for e in ("push", "pull_request") if e not in seen]
        if not missing:
            return []
        names = ", ".join(w.file for w in scope) or "no workflow"
        what = "the workflow that runs the tests" if with_tests else "your workflow"
        return [f"{what} ({names}) is not triggered by {' or '.join(f'`{m}`' for m in missing)}"]

    def locked_install(self) -> list[str]:
        if self.all_steps("locked_install"):
            return []
        loose = [
            (w, j, s) for w in self.workflows for j in w.jobs.values() for s in j.steps
            if search([re.compile(r"\buv\s+sync\b")], self.command(s))
        ]  # fmt: skip
        if loose:
            w, j, s = loose[0]
            return [f"{w.where(j, s)} runs `uv sync` without `--locked`"]
        return ["no step runs `uv sync --locked`"]

    def lint(self) -> list[str]:
        precommit = bool(self.all_steps("precommit_all")) and {"ruff_lint", "ruff_format"} <= (
            self.precommit_hooks
        )
        if precommit:
            return []
        problems = []
        if not self.all_steps("ruff_check"):
            problems.append("no step runs `ruff check`")
        if not self.all_steps("ruff_format_check"):
            problems.append("no step runs `ruff format --check`")
        return problems

    def tests_coverage(self) -> list[str]:
        runs = self.all_steps("pytest")
        if not runs:
            return ["no step runs pytest: the tests never run in CI"]
        addopts, configured = configured_gate(self.src)
        best = ""
        for workflow, job, step in runs:
            command = self.command(step)
            scope = "\n".join(self.command(s) for s in job.steps) + "\n" + addopts
            measured = search(self.patterns["cov_measured"], command + "\n" + addopts)
            gate = search(self.patterns["cov_fail_under"], scope)
            value = gate.group(1) if gate else configured
            where = workflow.where(job, step)
            if not measured:
                best = best or f"{where}: pytest runs without coverage (`--cov=app`)"
                continue
            if value is None:
                best = f"{where}: pytest measures coverage but nothing fails below a floor (`--cov-fail-under`)"
                continue
            try:
                if float(value) >= self.floor:
                    return []
            except ValueError:
                pass
            best = f"{where}: the coverage gate is {value}%, below the course's floor of {self.floor:g}%"
        return [best]

    def _pushing_job_problems(self, workflow: Workflow, job: Job) -> list[str]:
        text = self.job_text(workflow, job)
        problems = []
        if not search(self.patterns["build"], text):
            problems.append("does not build the image in the same job")
        if not search(self.patterns["registry"], text):
            problems.append("does not push to GHCR (`ghcr.io/...`)")
        if not search(self.patterns["commit_sha"], text):
            problems.append("does not tag the image with the commit SHA (`github.sha`)")
        return problems

    def build_push(self) -> list[str]:
        if not self.pushes:
            return [
                "no step pushes an image (`docker push`, or `docker/build-push-action` with `push: true`)"
            ]
        jobs = {(w.path, j.id): (w, j) for w, j, _ in self.pushes}
        found = []
        for workflow, job in jobs.values():
            problems = self._pushing_job_problems(workflow, job)
            if not problems:
                return []
            found.append(f"{workflow.where(job)} pushes an image but " + "; ".join(problems))
        return found

    def default_branch_only(self) -> list[str]:
        if not self.pushes:
            return ["nothing is pushed yet: the delivery jobs are missing"]
        problems = []
        for workflow, job, step in self.pushes:
            if not self.step_gated(workflow, job, step):
                problems.append(
                    f"{workflow.where(job, step)} runs on every branch and on pull requests: limit "
                    "the job with `if: github.ref == format('refs/heads/{0}', "
                    "github.event.repository.default_branch)`"
                )
        return problems

    def _tests_before(self, workflow: Workflow, job: Job, step: Step) -> str | None:
        """None when the tests passed before ``step`` runs, else why not."""
        earlier = [s for s in self.runs(job, "pytest") if s.index < step.index]
        if earlier:
            return None
        chain = [job, *self.ancestors(workflow, job)]
        if any(self.runs_anyway(j.condition) for j in chain):
            return "has an `if:` with always()/failure()/cancelled(): it runs when the tests fail"
        if any(self.runs(j, "pytest") for j in chain[1:]):
            return None
        spec = workflow.triggers.get("workflow_run")
        if isinstance(spec, dict):
            names = {str(n) for n in spec.get("workflows") or []}
            testing = {w.name for w in self.tests_workflows()}
            conditions = [j.condition for j in chain] + [step.condition]
            passed = any(search(self.patterns["tests_passed_if"], c) for c in conditions)
            if names & testing and passed:
                return None
            if names & testing:
                return "starts after the testing workflow without checking `github.event.workflow_run.conclusion == 'success'`"
        return "does not need (`needs:`) the job that runs pytest"

    def after_tests(self) -> list[str]:
        if not self.pushes:
            return ["nothing is pushed yet: no job to order after the tests"]
        problems = []
        for workflow, job, step in self.pushes:
            why = self._tests_before(workflow, job, step)
            if why:
                problems.append(f"{workflow.where(job, step)} pushes the image but {why}")
        return problems

    def deploy_smoke_rollback(self) -> list[str]:
        every = [(w, j, s) for w in self.workflows for j in w.jobs.values() for s in j.steps]
        delivery = [(w, j, s) for w, j, s in every if self.step_gated(w, j, s)]

        def matching(
            pattern: str, steps: list[tuple[Workflow, Job, Step]], by_name: bool = False
        ) -> list[tuple[Workflow, Job, Step]]:
            found = []
            for w, j, s in steps:
                text = self.command(s)
                if by_name:
                    text += "\n" + as_text(s.raw.get("name")) + "\n" + as_text(s.raw.get("id"))
                if search(self.patterns[pattern], text):
                    found.append((w, j, s))
            return found

        def missing(pattern: str, what: str) -> str:
            ungated = matching(pattern, every)
            if ungated:
                w, j, s = ungated[0]
                return f"{w.where(j, s)} {what} but is not limited to the default branch"
            return f"no step {what} on the default branch"

        problems = []
        if not matching("kind_cluster", delivery):
            problems.append(missing("kind_cluster", "creates a kind cluster"))
        deploys = matching("deploy", delivery)
        if not deploys:
            problems.append(missing("deploy", "deploys (`kubectl apply`, `helm upgrade`)"))
        elif self.push_jobs:
            for w, j, s in deploys:
                chain = {(w.path, a.id) for a in [j, *self.ancestors(w, j)]}
                if not chain & self.push_jobs:
                    problems.append(
                        f"{w.where(j, s)} deploys in a job that does not need the job that pushes"
                    )
                    break
        if not matching("smoke", delivery, by_name=True):
            problems.append(
                "no smoke test after the deploy (a step named `smoke...` or `curl .../health`)"
            )
        rollbacks = [
            (w, j, s) for w, j, s in matching("rollback", delivery, by_name=True)
            if "failure()" in s.condition or "failure()" in j.condition
        ]  # fmt: skip
        if not rollbacks:
            problems.append("no rollback step with `if: failure()` (`kubectl rollout undo`)")
        return problems

    def pinned_actions(self) -> list[str]:
        sha = re.compile(self.policy["pinning"]["sha"])
        digest = re.compile(self.policy["pinning"]["docker_digest"])
        problems = []
        for workflow in self.workflows:
            for job in workflow.jobs.values():
                refs = [(None, job.uses)] + [(s, s.uses) for s in job.steps]
                for step, uses in refs:
                    if not uses or uses.startswith("./") or self.course_call.match(uses):
                        continue
                    if sha.match(uses) or digest.match(uses):
                        continue
                    what = (
                        "a docker image by digest (`@sha256:...`)"
                        if uses.startswith("docker://")
                        else "a full commit SHA"
                    )
                    problems.append(
                        f"{workflow.where(job, step)}: `{uses}` is not pinned to {what}"
                    )
        return problems

    def permissions(self) -> list[str]:
        allowed_writes = set(self.policy["push_job_write_scopes"])
        problems = []
        for workflow in self.workflows:
            top = workflow.raw.get("permissions")
            if top is None:
                problems.append(
                    f"{workflow.file}: no top-level `permissions:` (the token's default may write "
                    "to the repository): add `permissions: {contents: read}`"
                )
            elif isinstance(top, str):
                problems.append(
                    f"{workflow.file}: top-level `permissions: {top}`: list the read scopes you need"
                )
            elif isinstance(top, dict):
                writes = sorted(k for k, v in top.items() if str(v) not in ("read", "none"))
                if writes:
                    problems.append(
                        f"{workflow.file}: the top-level permissions grant {', '.join(f'`{w}: write`' for w in writes)} "
                        "to every job: grant it on the job that needs it"
                    )
            for job in workflow.jobs.values():
                scopes = job.raw.get("permissions")
                if isinstance(scopes, str) and scopes == "write-all":
                    problems.append(f"{workflow.where(job)}: `permissions: write-all`")
                if not isinstance(scopes, dict):
                    continue
                pushes = (workflow.path, job.id) in self.push_jobs
                for scope, level in scopes.items():
                    if str(level) != "write":
                        continue
                    if scope not in allowed_writes:
                        problems.append(
                            f"{workflow.where(job)}: `{scope}: write` is not needed by a CI/CD job"
                        )
                    elif not pushes:
                        problems.append(
                            f"{workflow.where(job)}: `{scope}: write` on a job that does not push the image"
                        )
        return problems

    def timeouts(self) -> list[str]:
        return [
            f"{w.where(j)} has no `timeout-minutes`"
            for w in self.workflows for j in w.jobs.values()
            if not j.uses and j.raw.get("timeout-minutes") is None
        ]  # fmt: skip

    def no_inline_secrets(self) -> list[str]:
        return inline_secret_problems(self.workflows, self.policy["secrets"])

    # --- all of them ----------------------------------------------------------------------------

    def evaluate(self) -> list[RuleOutcome]:
        """Every rule of the policy, in its order."""
        outcomes = []
        for rule in self.policy["rules"]:
            check: Callable[[], list[str]] = getattr(self, rule["id"])
            outcomes.append(RuleOutcome(rule["id"], rule["text"], float(rule["weight"]), check()))
        return outcomes


def policy_feedback(outcomes: list[RuleOutcome]) -> tuple[float, str]:
    """(fraction kept by weight, feedback listing each broken rule with what breaks it)."""
    total = sum(o.weight for o in outcomes) or 1.0
    kept = sum(o.weight for o in outcomes if o.kept)
    broken = [o for o in outcomes if not o.kept]
    if not broken:
        return 1.0, f"all {len(outcomes)} rules of the course's CI/CD policy are kept"
    lines = [
        f"{len(outcomes) - len(broken)} of {len(outcomes)} rules kept (weight {kept:g}/{total:g}). Broken:"
    ]
    for outcome in broken:
        lines.append(f"[{outcome.id}] {outcome.text}")
        lines += [f"  - {p}" for p in outcome.problems[:MAX_PROBLEMS_PER_RULE]]
        if len(outcome.problems) > MAX_PROBLEMS_PER_RULE:
            lines.append(f"  - ... and {len(outcome.problems) - MAX_PROBLEMS_PER_RULE} more")
    return kept / total, "\n".join(lines)
