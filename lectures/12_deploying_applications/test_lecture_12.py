"""Tests for lecture 12 (deploying applications): reconciler, canary, Ansible and Terraform files."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
ANSIBLE = EXAMPLES / "ansible"
TERRAFORM = EXAMPLES / "terraform"
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}"


def load(name: str) -> ModuleType:
    """Import an example by path (the repo runs pytest with --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location(f"lecture12_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ plan / apply reconciler
@pytest.fixture(scope="module")
def rec() -> ModuleType:
    return load("reconciler")


@pytest.fixture
def env(rec: ModuleType, tmp_path: Path):
    return rec.FakeCloud(), rec.StateFile(tmp_path / "state.json")


def test_first_apply_creates_in_dependency_order(rec, env) -> None:
    cloud, state = env
    result = rec.apply(rec.churn_stack(), state, cloud)
    assert [c.action for c in result.changes] == ["create"] * 4
    assert cloud.calls == [
        "create kubernetes_namespace_v1.churn",
        "create kubernetes_config_map_v1.model",
        "create kubernetes_deployment_v1.churn_api",
        "create kubernetes_service_v1.churn_api",
    ]
    assert result.summary() == "Plan: 4 to add, 0 to change, 0 to destroy."
    assert state.serial == 1


def test_apply_twice_second_plan_is_empty(rec, env) -> None:
    cloud, state = env
    rec.apply(rec.churn_stack(), state, cloud)
    calls = len(cloud.calls)
    second = rec.apply(rec.churn_stack(), state, cloud)
    assert second.empty
    assert len(cloud.calls) == calls  # no API calls at all
    assert state.serial == 1  # state untouched
    assert rec.plan(rec.churn_stack(), state, cloud).empty


def test_state_file_survives_a_restart(rec, env, tmp_path: Path) -> None:
    cloud, state = env
    rec.apply(rec.churn_stack(), state, cloud)
    reloaded = rec.StateFile(tmp_path / "state.json")
    assert set(reloaded.resources) == set(cloud.objects)
    assert rec.plan(rec.churn_stack(), reloaded, cloud).empty


def test_manual_drift_is_detected_and_reverted(rec, env) -> None:
    cloud, state = env
    rec.apply(rec.churn_stack(), state, cloud)
    cloud.objects["kubernetes_deployment_v1.churn_api"]["replicas"] = 5
    drift = rec.plan(rec.churn_stack(), state, cloud)
    assert [(c.action, c.address) for c in drift.changes] == [
        ("update", "kubernetes_deployment_v1.churn_api")
    ]
    assert drift.changes[0].diff == {"replicas": (5, 2)}
    rec.apply(rec.churn_stack(), state, cloud)
    assert cloud.objects["kubernetes_deployment_v1.churn_api"]["replicas"] == 2
    assert rec.plan(rec.churn_stack(), state, cloud).empty


def test_deleted_behind_our_back_is_recreated(rec, env) -> None:
    cloud, state = env
    rec.apply(rec.churn_stack(), state, cloud)
    del cloud.objects["kubernetes_service_v1.churn_api"]
    result = rec.plan(rec.churn_stack(), state, cloud)
    assert [(c.action, c.address) for c in result.changes] == [
        ("create", "kubernetes_service_v1.churn_api")
    ]


def test_update_in_place_vs_replace(rec, env) -> None:
    cloud, state = env
    rec.apply(rec.churn_stack(), state, cloud)
    old_id = cloud.objects["kubernetes_deployment_v1.churn_api"]["id"]
    upgrade = rec.apply(rec.churn_stack(image_tag="2.0.0"), state, cloud)
    assert [c.action for c in upgrade.changes] == ["update"]
    assert cloud.objects["kubernetes_deployment_v1.churn_api"]["id"] == old_id
    replace = rec.apply(rec.churn_stack(image_tag="2.0.0", selector="churn"), state, cloud)
    assert [c.action for c in replace.changes] == ["replace"]
    assert cloud.objects["kubernetes_deployment_v1.churn_api"]["id"] != old_id
    assert replace.summary() == "Plan: 1 to add, 0 to change, 1 to destroy."


def test_removed_resources_are_destroyed_dependents_first(rec, env) -> None:
    cloud, state = env
    rec.apply(rec.churn_stack(), state, cloud)
    result = rec.apply([], state, cloud)
    assert [c.address for c in result.changes] == [
        "kubernetes_service_v1.churn_api",
        "kubernetes_deployment_v1.churn_api",
        "kubernetes_config_map_v1.model",
        "kubernetes_namespace_v1.churn",
    ]
    assert cloud.objects == {}
    assert state.resources == {}


def test_imperative_script_is_not_idempotent(rec) -> None:
    cloud = rec.FakeCloud()
    rec.imperative_deploy(cloud)
    with pytest.raises(rec.AlreadyExistsError):
        rec.imperative_deploy(cloud)


def test_reconciler_main_prints_the_story(rec, capsys: pytest.CaptureFixture[str]) -> None:
    rec.main()
    out = capsys.readouterr().out
    assert "No changes. Your infrastructure matches the configuration." in out
    assert "(replicas: 5 -> 2)" in out
    assert "-/+ kubernetes_deployment_v1.churn_api" in out
    assert "AlreadyExistsError" in out


# ------------------------------------------------------------------ canary
@pytest.fixture(scope="module")
def canary() -> ModuleType:
    return load("canary")


@pytest.fixture(scope="module")
def setup(canary: ModuleType):
    train, traffic = canary.load_traffic()
    return canary.train_versions(train), traffic


def test_good_candidate_is_promoted_through_all_steps(canary, setup) -> None:
    models, traffic = setup
    result = canary.run_canary("v2-good", models, traffic)
    assert result.outcome == "promoted"
    assert [s.weight for s in result.steps] == [0.05, 0.25, 0.5, 1.0]
    assert result.user_errors == 0
    assert all(s.canary_requests >= 50 for s in result.steps)
    # sticky routing sends roughly the configured share of requests to the canary
    assert 0.15 < result.steps[1].canary_requests / result.steps[1].requests < 0.35
    assert result.steps[-1].canary_requests == result.steps[-1].requests


def test_crashing_candidate_is_rolled_back_at_the_first_step(canary, setup) -> None:
    models, traffic = setup
    result = canary.run_canary("v2-bad", models, traffic)
    assert result.outcome == "rolled back"
    assert len(result.steps) == 1
    first = result.steps[0]
    assert first.canary_error_rate > 0.02
    assert "ROLLBACK: error rate" in first.decision
    assert first.stable_errors == 0
    big_bang_errors = (traffic["multiple_lines"] == "No phone service").mean()
    assert result.user_errors / result.total_requests < big_bang_errors / 5


def test_silently_shifted_candidate_is_caught_by_the_model_guard(canary, setup) -> None:
    models, traffic = setup
    result = canary.run_canary("v2-skewed", models, traffic)
    assert result.outcome == "rolled back"
    assert result.user_errors == 0
    assert "mean score moved" in result.steps[-1].decision
    assert result.steps[-1].score_shift > 0.05


def test_canary_is_deterministic_and_routing_sticky(canary, setup) -> None:
    models, traffic = setup
    a = canary.run_canary("v2-bad", models, traffic)
    b = canary.run_canary("v2-bad", models, traffic)
    assert [(s.requests, s.canary_requests, s.canary_errors) for s in a.steps] == [
        (s.requests, s.canary_requests, s.canary_errors) for s in b.steps
    ]
    assert canary.bucket("cust-42") == canary.bucket("cust-42")
    share = sum(canary.bucket(f"cust-{i}") < 0.25 for i in range(4000)) / 4000
    assert 0.22 < share < 0.28


def test_bad_model_really_raises_on_unseen_category(canary, setup) -> None:
    models, traffic = setup
    rows = traffic[traffic["multiple_lines"] == "No phone service"].head(3)
    assert canary.serve(models["v2-bad"], rows) == [None, None, None]
    assert all(p is not None for p in canary.serve(models["v1"], rows))


# ------------------------------------------------------------------ Ansible
def ansible_yaml(relative: str):
    return yaml.safe_load((ANSIBLE / relative).read_text())


def test_ansible_yaml_passes_yamllint() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "-s", "-d", YAMLLINT_CONFIG, str(ANSIBLE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_playbook_structure() -> None:
    plays = ansible_yaml("playbook.yml")
    assert isinstance(plays, list) and len(plays) == 1
    play = plays[0]
    assert play["hosts"] == "churn_api"
    assert play["serial"] == 1  # rolling: one host at a time
    assert play["max_fail_percentage"] == 0
    groups = ansible_yaml("inventory.yml")["all"]["children"]
    assert play["hosts"] in groups
    assert len(groups["churn_api"]["hosts"]) == 3
    for role in play["roles"]:
        assert (ANSIBLE / "roles" / role["role"] / "tasks" / "main.yml").is_file()


def all_tasks() -> list[dict]:
    play = ansible_yaml("playbook.yml")[0]
    tasks = play.get("pre_tasks", []) + play.get("post_tasks", [])
    tasks += ansible_yaml("roles/churn_api/tasks/main.yml")
    return tasks


TASK_KEYWORDS = {"name", "notify", "register", "retries", "delay", "until", "when", "become"}


def test_every_task_is_named_and_uses_one_fully_qualified_module() -> None:
    handlers = {h["name"] for h in ansible_yaml("roles/churn_api/handlers/main.yml")}
    for task in all_tasks() + ansible_yaml("roles/churn_api/handlers/main.yml"):
        assert task.get("name"), task
        modules = [k for k in task if k not in TASK_KEYWORDS]
        assert len(modules) == 1, task
        assert modules[0].startswith("ansible.builtin."), modules[0]
        notify = task.get("notify", [])
        for handler in [notify] if isinstance(notify, str) else notify:
            assert handler in handlers, f"unknown handler {handler}"


def test_templates_exist_and_variables_are_defined() -> None:
    role = ANSIBLE / "roles" / "churn_api"
    defaults = set(ansible_yaml("roles/churn_api/defaults/main.yml"))
    registered = {t["register"] for t in all_tasks() if "register" in t}
    magic = {"ansible_managed", "inventory_hostname"}
    known = defaults | registered | magic
    texts = [(role / "tasks" / "main.yml").read_text()]
    for task in all_tasks():
        module_args = task.get("ansible.builtin.template")
        if module_args:
            template = role / "templates" / module_args["src"]
            assert template.is_file(), template
            texts.append(template.read_text())
    texts.append((role / "defaults" / "main.yml").read_text())
    used = set()
    for text in texts:
        for expression in re.findall(r"\{\{\s*(.*?)\s*\}\}", text):
            used.add(re.match(r"[a-zA-Z_]\w*", expression).group(0))
    assert used, "expected Jinja variables in the role"
    assert used <= known, f"undefined variables: {used - known}"


# ------------------------------------------------------------------ Terraform
@pytest.fixture(scope="module")
def hcl() -> ModuleType:
    return load("hcl_balance")


def test_terraform_files_are_balanced(hcl) -> None:
    reports = hcl.check_dir(TERRAFORM)
    assert {r.path for r in reports} == {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
    for report in reports:
        assert report.ok, report.errors


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('resource "a" "b" {\n  x = 1\n', "never closed"),
        ('locals {\n  y = "open\n}\n', "string not closed"),
        ("locals {\n  z = [1, 2}\n}\n", "closes '['"),
        ('output "o" {\n  value = "${var.x"\n}\n', "string not closed"),
        ("}\n", "unexpected"),
    ],
)
def test_balance_check_rejects_broken_hcl(hcl, snippet: str, message: str) -> None:
    report = hcl.check_text(snippet)
    assert not report.ok
    assert any(message in e for e in report.errors), report.errors


def test_balance_check_ignores_brackets_in_strings_and_comments(hcl) -> None:
    text = 'locals {\n  a = "{[("  # }}}\n  b = "${var.x}-${var.y}"\n  // ]\n  /* ) */\n}\n'
    assert hcl.check_text(text).ok


def test_terraform_references_are_declared(hcl) -> None:
    text = "\n".join(p.read_text() for p in sorted(TERRAFORM.glob("*.tf")))
    blocks = [b for r in hcl.check_dir(TERRAFORM) for b in r.blocks]
    variables = {re.search(r'"([^"]+)"', b).group(1) for b in blocks if b.startswith("variable")}
    resources = {".".join(re.findall(r'"([^"]+)"', b)) for b in blocks if b.startswith("resource")}
    code = re.sub(r"#[^\n]*", "", text)
    used_vars = set(re.findall(r"\bvar\.(\w+)", code))
    assert used_vars and used_vars <= variables, used_vars - variables
    used_resources = set(re.findall(r"\b(kubernetes_\w+\.\w+)\.", code))
    assert used_resources <= resources, used_resources - resources
    assert "terraform" in blocks and 'provider "kubernetes"' in blocks
    assert re.search(r'version\s*=\s*"~> \d+\.\d+"', text)  # provider is pinned


def test_terraform_matches_reconciler_stack(rec) -> None:
    text = (TERRAFORM / "main.tf").read_text()
    for resource in rec.churn_stack():
        assert f'resource "{resource.type}" "{resource.name}"' in text
