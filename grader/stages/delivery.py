"""Delivery stage: the CI/CD workflow and the pre-commit configuration, checked statically.

Everything here reads the submission's files as data (grader/checks/workflow*.py,
grader/checks/precommit.py) against the course's policy (grader/policy/delivery.toml): no
installed environment, service or network is needed, and nothing of the submission runs.
"""

from __future__ import annotations

import time

from grader.checks.delivery_policy import load_delivery_policy
from grader.checks.precommit import PrecommitOutcome, check_precommit
from grader.checks.workflow import WorkflowFiles, load_workflows
from grader.checks.workflow_rules import PolicyEvaluator, policy_feedback
from grader.checks.workflow_tools import check_validity
from grader.grading.context import GradeContext

CHECKS = ("delivery.workflow_valid", "delivery.workflow_policy", "delivery.precommit")
NO_WORKFLOW = (
    "no CI/CD workflow of yours in .github/workflows/ (the course's grade.yml does not count): "
    "add one, e.g. .github/workflows/ci.yml"
)


def _wanted(ctx: GradeContext, check_id: str) -> bool:
    return any(c.id == check_id and ctx.wanted(c) for c in ctx.rubric.stage_checks("delivery"))


def _precommit(ctx: GradeContext) -> PrecommitOutcome | None:
    started = time.monotonic()
    try:
        outcome = check_precommit(ctx.sandbox.src, load_delivery_policy()["precommit"])
    except Exception as exc:  # one check's grader fault must not stop the others
        if _wanted(ctx, "delivery.precommit"):
            ctx.error("delivery.precommit", exc, started)
        return None
    if _wanted(ctx, "delivery.precommit"):
        ctx.record(
            "delivery.precommit",
            "passed" if outcome.fraction == 1 else "failed",
            outcome.fraction,
            outcome.feedback,
            started,
        )
    return outcome


def _valid(ctx: GradeContext, files: WorkflowFiles, stub: str | None) -> None:
    started = time.monotonic()
    try:
        if not files.student_paths:
            ctx.failed("delivery.workflow_valid", NO_WORKFLOW, started=started)
            return
        if stub:
            ctx.failed("delivery.workflow_valid", stub + " (see delivery.workflow_policy)")
            return
        settings = load_delivery_policy()["workflows"]
        validity = check_validity(
            files.student, files.unreadable, ctx.sandbox.src, float(settings["tool_timeout_s"])
        )
        names = ", ".join(files.student_paths)
        if validity.fraction == 1:
            ctx.passed(
                "delivery.workflow_valid",
                f"{names}: valid against the GitHub Actions schema and actionlint",
                started=started,
            )
            return
        parts = [f"{names}:"]
        if validity.schema:
            parts += ["The GitHub Actions JSON schema (check-jsonschema --builtin-schema "
                      "vendor.github-workflows) rejects:", *validity.schema]  # fmt: skip
        if validity.actionlint:
            parts += ["actionlint reports:", *validity.actionlint]
        ctx.failed("delivery.workflow_valid", "\n".join(parts), validity.fraction, started=started)
    except Exception as exc:
        ctx.error("delivery.workflow_valid", exc, started)


def _policy(
    ctx: GradeContext, files: WorkflowFiles, precommit: PrecommitOutcome | None
) -> str | None:
    """Record delivery.workflow_policy; return why the workflows are not judged (a stub), if so."""
    started = time.monotonic()
    try:
        if not files.student:
            why = NO_WORKFLOW if not files.unreadable else "no workflow of yours could be read"
            ctx.failed("delivery.workflow_policy", why, started=started)
            return None
        policy = load_delivery_policy()
        floor = float(ctx.thresholds[policy["policy"]["coverage_threshold"]]) * 100
        evaluator = PolicyEvaluator(
            files.student, ctx.sandbox.src, floor, policy, precommit.hooks if precommit else set()
        )
        outcomes = evaluator.evaluate()
        fraction, feedback = policy_feedback(outcomes)
        gate = next(o for o in outcomes if o.id == policy["policy"]["judged_only_with"])
        if not gate.kept:
            stub = (
                f"not judged: {gate.text.rstrip('.')}: {'; '.join(gate.problems)}. Until your "
                "workflow runs your tests with the coverage gate, the CI/CD checks award nothing"
            )
            ctx.failed("delivery.workflow_policy", f"{stub}.\n{feedback}", started=started)
            return stub
        status = "passed" if fraction == 1 else "failed"
        ctx.record("delivery.workflow_policy", status, fraction, feedback, started)
    except Exception as exc:
        ctx.error("delivery.workflow_policy", exc, started)
    return None


def run(ctx: GradeContext) -> None:
    """Record every wanted delivery check."""
    ctx.progress("delivery: CI/CD workflow and pre-commit configuration")
    precommit = _precommit(ctx)
    started = time.monotonic()
    try:
        files = load_workflows(ctx.sandbox.src, load_delivery_policy()["workflows"])
    except Exception as exc:
        for check_id in ("delivery.workflow_valid", "delivery.workflow_policy"):
            if _wanted(ctx, check_id):
                ctx.error(check_id, exc, started)
        return
    stub = _policy(ctx, files, precommit) if _wanted(ctx, "delivery.workflow_policy") else None
    if _wanted(ctx, "delivery.workflow_valid"):
        _valid(ctx, files, stub)
