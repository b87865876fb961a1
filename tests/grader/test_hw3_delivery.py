"""The hw3 `delivery` stage end to end: the CI/CD workflow and the pre-commit configuration.

The solution, the starter and the ``deliv_*`` fixtures of ``fixtures/hw3_submissions/`` (patched
copies of the hw3 solution; ``[points]`` holds an inclusive band per named check, ``[feedback]``
texts its feedback must contain) are graded once per session with a rubric that keeps only the
delivery stage: it reads files as data, so no install, service or isolation is needed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from grader.checks.delivery_policy import (
    load_delivery_policy,
    render_delivery_policy_markdown,
    workflow_rules,
)
from grader.checks.precommit import check_precommit, hooks_present
from grader.checks.workflow import YamlProblem, load_workflows, load_yaml
from grader.checks.workflow_rules import PolicyEvaluator
from grader.checks.workflow_tools import check_validity
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.render_blocks import update_generated_blocks
from grader.report.model import Report
from grader.rubric import load_rubric
from grader.stages import STAGE_NAMES, stage
from grader.stages.delivery import CHECKS
from tests.grader.patch_fixtures import build_fixture, expected, fixture_names, suites_keeping

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HW3 = ROOT / "homework" / "hw3_ci_monitoring"
SOLUTION, STARTER = HW3 / "solution", HW3 / "starter"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hw3_submissions"
NAMES = [n for n in fixture_names(FIXTURES) if n.startswith("deliv_")]
COMMIT = "de11" * 10
WORKERS = 3
POINTS = {"delivery.workflow_valid": 3, "delivery.workflow_policy": 7, "delivery.precommit": 2}


@pytest.fixture(scope="session")
def delivery_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Report]]:
    """The solution, the starter and every ``deliv_*`` fixture, graded on the delivery stage."""
    base = tmp_path_factory.mktemp("hw3-delivery")
    suites = suites_keeping("hw3", base / "suites", stages=["delivery"])
    sources = {"solution": SOLUTION, "starter": STARTER}
    for name in NAMES:
        sources[name] = build_fixture(SOLUTION, FIXTURES / name, base / name)
    seconds: dict[str, float] = {}

    def grade(name: str) -> Report:
        started = time.monotonic()
        report = grade_submission(
            "hw3", sources[name], options=Options(skip_load=True, suites=suites), commit=COMMIT
        )
        seconds[name] = round(time.monotonic() - started, 1)
        return report

    with ThreadPoolExecutor(WORKERS) as pool:
        reports = dict(zip(sources, pool.map(grade, sources), strict=True))
    print(f"\nhw3 delivery grading wall seconds per job: {seconds}")
    yield reports


def by_id(report: Report) -> dict[str, Any]:
    return {c.id: c for c in report.checks}


# --- the stage, its rubric entries and its policy -------------------------------------------------


def test_stage_sits_right_after_static_and_owns_its_checks() -> None:
    assert STAGE_NAMES.index("delivery") == STAGE_NAMES.index("static") + 1
    assert stage("delivery").checks == CHECKS
    rubric = {c.id: c for c in load_rubric("hw3").checks}
    assert {check_id: rubric[check_id].points for check_id in CHECKS} == POINTS
    assert all(rubric[check_id].visibility == "visible" for check_id in CHECKS)


def test_policy_is_rendered_for_the_docs_and_the_spec() -> None:
    text = render_delivery_policy_markdown(0.85)
    for rule in workflow_rules():
        assert f"| `{rule['id']}` |" in text
    assert "85%" in text and "check-added-large-files" in text
    block = "<!-- BEGIN GENERATED: delivery hw3 -->\nstale\n<!-- END GENERATED: delivery hw3 -->"
    assert "| `pinned_actions` |" in update_generated_blocks(block)
    readme = (HW3 / "README.md").read_text()
    assert "<!-- BEGIN GENERATED: delivery hw3 -->" in readme
    assert update_generated_blocks(readme) == readme, "run `uv run python -m grader.render_blocks`"
    instructor = (ROOT / "docs" / "guides" / "instructor.md").read_text()
    assert "{{ delivery_policy() }}" in instructor


# --- reading workflows as data (no grading run) --------------------------------------------------


def test_yaml_is_read_as_github_reads_it_and_alias_bombs_are_refused() -> None:
    assert load_yaml("on:\n  push:\n", 10) == {"on": {"push": None}}
    assert load_yaml("a: yes\nb: true\n", 10) == {"a": "yes", "b": True}
    bomb = "a: &a [x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    with pytest.raises(YamlProblem, match="aliases"):
        load_yaml(bomb, 10)
    with pytest.raises(YamlProblem, match="levels deep"):
        load_yaml("[" * 5000 + "]" * 5000, 10)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_links_and_the_course_workflow_are_not_graded_as_the_students(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {".github/workflows/grade.yml": (SOLUTION / ".github/workflows/grade.yml").read_text()},
    )
    (repo / ".github/workflows/ci.yml").symlink_to("/etc/passwd")
    files = load_workflows(repo, load_delivery_policy()["workflows"])
    assert files.course == [".github/workflows/grade.yml"]
    assert files.student == [] and "symbolic link" in files.unreadable[".github/workflows/ci.yml"]


def test_a_submissions_actionlint_config_cannot_silence_findings(tmp_path: Path) -> None:
    bad = "on: [push]\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n"
    repo = _repo(
        tmp_path,
        {
            ".github/workflows/ci.yml": bad,
            ".github/actionlint.yaml": "paths:\n  .github/workflows/**/*.yml:\n    ignore: ['.*']\n",
        },
    )
    files = load_workflows(repo, load_delivery_policy()["workflows"])
    validity = check_validity(files.student, files.unreadable, repo, 60)
    assert validity.schema == []
    assert any("untrusted" in line for line in validity.actionlint), validity.actionlint


def _evaluate(tmp_path: Path, workflow: str) -> dict[str, list[str]]:
    repo = _repo(tmp_path, {".github/workflows/ci.yml": workflow})
    files = load_workflows(repo, load_delivery_policy()["workflows"])
    outcomes = PolicyEvaluator(files.student, repo, 85, load_delivery_policy()).evaluate()
    return {o.id: o.problems for o in outcomes}


def test_secrets_from_the_store_pass_and_literals_in_every_form_fail(tmp_path: Path) -> None:
    fine = _evaluate(
        tmp_path / "fine",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: 1\n"
        "    permissions:\n      id-token: write\n"
        "    env:\n      API_TOKEN: ${{ secrets.API_TOKEN }}\n      DATABASE_URL: postgresql://u@h/db\n"
        '    steps:\n      - run: |\n          echo "$T" | docker login ghcr.io -u me --password-stdin\n'
        "          printf 'POSTGRES_PASSWORD=%s' \"$(openssl rand -hex 8)\"\n",
    )
    assert fine["no_inline_secrets"] == []
    bad = _evaluate(
        tmp_path / "bad",
        "on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      DATABASE_URL: postgresql://u:hunter2@h/db\n"
        "    steps:\n      - run: |\n          docker login ghcr.io -u me -p hunter2\n"
        "          export DB_PASSWORD=hunter2\n      - uses: docker/login-action@v3\n"
        "        with:\n          password: hunter2\n",
    )
    problems = "\n".join(bad["no_inline_secrets"])
    for expected_text in (
        "URL",
        "login command line",
        "`DB_PASSWORD=`",
        "`password` has a literal",
    ):
        assert expected_text in problems
    assert "no top-level `permissions:`" in "\n".join(bad["permissions"])
    assert "has no `timeout-minutes`" in "\n".join(bad["timeouts"])
    assert "docker/login-action@v3" in "\n".join(bad["pinned_actions"])


SINGLE_JOB = """name: ci
on: [push, pull_request]
permissions:
  contents: read
jobs:
  all:
    runs-on: ubuntu-24.04
    timeout-minutes: 40
    permissions:
      contents: read
      packages: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: uv sync --locked && uv run ruff check . && uv run ruff format --check .
      - run: uv run pytest --cov=app --cov-fail-under=85
      - name: Build and push
        if: github.ref == 'refs/heads/main'
        env:
          TOKEN: ${{ secrets.GITHUB_TOKEN }}
        run: |
          docker build -t "ghcr.io/${GITHUB_REPOSITORY,,}:${GITHUB_SHA}" .
          echo "$TOKEN" | docker login ghcr.io -u "$GITHUB_ACTOR" --password-stdin
          docker push "ghcr.io/${GITHUB_REPOSITORY,,}:${GITHUB_SHA}"
      - name: Deploy to kind
        if: github.ref == 'refs/heads/main'
        run: kind create cluster && kubectl apply -k k8s
      - name: Smoke
        if: github.ref == 'refs/heads/main'
        run: curl --fail http://127.0.0.1:8080/health
      - name: Roll back
        if: failure() && github.ref == 'refs/heads/main'
        run: kubectl rollout undo deployment/churn-api
"""


def test_one_job_with_step_conditions_keeps_every_rule(tmp_path: Path) -> None:
    problems = _evaluate(tmp_path / "one", SINGLE_JOB)
    assert {rule: found for rule, found in problems.items() if found} == {}
    ungated = SINGLE_JOB.replace(
        "        if: github.ref == 'refs/heads/main'\n        run: kind", "        run: kind"
    )
    problems = _evaluate(tmp_path / "ungated", ungated)
    assert "is not limited to the default branch" in problems["deploy_smoke_rollback"][0]


def test_a_push_expression_on_the_default_branch_gates_the_push(tmp_path: Path) -> None:
    action = (
        "      - uses: docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83 # v6.18.0\n"
        "        with:\n          tags: ghcr.io/o/r:${{ github.sha }}\n"
        "          push: ${{ PUSH }}\n"
    )
    head = "on: [push, pull_request]\njobs:\n  b:\n    runs-on: x\n    steps:\n"
    gated = action.replace("PUSH", "github.ref == 'refs/heads/main'")
    assert _evaluate(tmp_path / "gated", head + gated)["default_branch_only"] == []
    ungated = action.replace("PUSH", "github.event_name == 'push'")
    assert _evaluate(tmp_path / "ungated", head + ungated)["default_branch_only"] != []


def test_calling_the_course_grading_workflow_needs_no_pin(tmp_path: Path) -> None:
    call = "  grade:\n    uses: mlops-course/mlops-course/.github/workflows/grade-submission.yml@main\n"
    problems = _evaluate(tmp_path, SINGLE_JOB + call)
    assert problems["pinned_actions"] == [] and problems["timeouts"] == []


def test_a_workflow_that_is_not_yaml_gets_no_validity_points(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".github/workflows/ci.yml": "on: [push\njobs: {}\n"})
    files = load_workflows(repo, load_delivery_policy()["workflows"])
    validity = check_validity(files.student, files.unreadable, repo, 60)
    assert validity.fraction == 0 and "is not valid YAML" in validity.schema[0]


def test_a_linked_github_directory_is_not_followed(tmp_path: Path) -> None:
    outside = _repo(tmp_path / "outside", {"workflows/ci.yml": SINGLE_JOB})
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".github").symlink_to(outside)
    files = load_workflows(repo, load_delivery_policy()["workflows"])
    assert files.workflows == [] and files.unreadable == {}


def test_a_coverage_gate_below_the_floor_or_without_coverage_fails(tmp_path: Path) -> None:
    head = "on: [push, pull_request]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: "
    low = _evaluate(tmp_path / "low", head + "uv run pytest --cov=app --cov-fail-under=70\n")
    assert "70" in low["tests_coverage"][0] and "below" in low["tests_coverage"][0]
    bare = _evaluate(tmp_path / "bare", head + "uv run pytest --cov-fail-under=90\n")
    assert "without coverage" in bare["tests_coverage"][0]
    installed = _evaluate(tmp_path / "installed", head + "uv pip install pytest pytest-cov\n")
    assert "no step runs pytest" in installed["tests_coverage"][0]
    good = _evaluate(tmp_path / "good", head + "uv run pytest --cov=app --cov-fail-under=85\n")
    assert good["tests_coverage"] == [] and good["triggers"] == []


def test_precommit_schema_errors_are_named(tmp_path: Path) -> None:
    text = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    hooks:\n      - id: ruff\n"
    repo = _repo(tmp_path, {".pre-commit-config.yaml": text})
    outcome = check_precommit(repo, load_delivery_policy()["precommit"])
    assert outcome.fraction == 0 and "Missing required key: rev" in outcome.feedback
    assert str(tmp_path) not in outcome.feedback
    mutable = text.replace("    hooks:", "    rev: main\n    hooks:")
    repo = _repo(tmp_path / "mutable", {".pre-commit-config.yaml": mutable})
    outcome = check_precommit(repo, load_delivery_policy()["precommit"])
    assert outcome.fraction == 0.25 and "mutable reference" in outcome.feedback
    missing = check_precommit(tmp_path / "nowhere", load_delivery_policy()["precommit"])
    assert missing.fraction == 0 and "no `.pre-commit-config.yaml`" in missing.feedback


def test_precommit_hooks_are_recognised_remote_or_local() -> None:
    required = load_delivery_policy()["precommit"]["hooks"]
    config = {
        "repos": [
            {
                "repo": "https://github.com/astral-sh/ruff-pre-commit",
                "hooks": [{"id": "ruff-check", "stages": ["manual"]}],
            },
            {
                "repo": "local",
                "hooks": [
                    {"id": "fmt", "entry": "ruff format"},
                    {"id": "lint", "entry": "ruff check --fix"},
                ],
            },
        ]
    }
    assert hooks_present(config, required) == {"ruff_lint", "ruff_format"}


# --- graded end to end -----------------------------------------------------------------------------


def test_solution_gets_full_marks(delivery_reports: dict[str, Report]) -> None:
    checks = by_id(delivery_reports["solution"])
    assert {i: (c.status, c.points) for i, c in checks.items()} == {
        i: ("passed", p) for i, p in POINTS.items()
    }, {i: c.feedback for i, c in checks.items()}


def test_starter_scores_low_with_feedback_to_act_on(delivery_reports: dict[str, Report]) -> None:
    checks = by_id(delivery_reports["starter"])
    assert checks["delivery.precommit"].points == 0
    assert "ruff-check" in checks["delivery.precommit"].feedback
    policy = checks["delivery.workflow_policy"]
    # Its lint-only workflow is a stub: the rules are listed, nothing is awarded.
    assert policy.status == "failed" and policy.points == 0 and "not judged" in policy.feedback
    for text in (
        "[tests_coverage]",
        "no step runs pytest",
        "[build_push]",
        "[deploy_smoke_rollback]",
        "ruff format --check",
    ):
        assert text in policy.feedback, text
    assert sum(c.points for c in checks.values()) == 0


@pytest.mark.parametrize("name", NAMES)
def test_fixture_lands_in_its_band(delivery_reports: dict[str, Report], name: str) -> None:
    spec = expected(FIXTURES / name)
    checks = by_id(delivery_reports[name])
    for check_id, (low, high) in spec["points"].items():
        check = checks[check_id]
        assert low <= check.points <= high, (
            f"{check_id}: {check.points} not in [{low}, {high}]\n{check.feedback}"
        )
        assert check.status in ("passed", "failed"), check.feedback
    for check_id, texts in spec.get("feedback", {}).items():
        for text in texts:
            assert text in checks[check_id].feedback, (
                f"{check_id}: {text!r} not in\n{checks[check_id].feedback}"
            )


def test_every_defect_class_has_a_fixture() -> None:
    wanted = {"never_tests", "tag_pinned", "inline_secret", "push_on_pull_requests", "no_timeout",
              "schema_invalid", "precommit_without_ruff", "split_workflows"}  # fmt: skip
    assert wanted <= {re.sub(r"^deliv_", "", n) for n in NAMES}
