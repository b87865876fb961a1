"""Tests for lecture 12 (deploying applications): reconciler, canary, Ansible and Terraform files."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
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


TASK_KEYWORDS = {
    "name",
    "notify",
    "register",
    "retries",
    "delay",
    "until",
    "when",
    "become",
    "tags",
    "failed_when",
}


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


def _play_order() -> list[dict]:
    """Tasks in the order Ansible runs them: pre_tasks, the role's tasks, post_tasks."""
    play = ansible_yaml("playbook.yml")[0]
    return (
        play.get("pre_tasks", [])
        + ansible_yaml("roles/churn_api/tasks/main.yml")
        + play.get("post_tasks", [])
    )


def _written_path(task: dict) -> str | None:
    for module in ("ansible.builtin.file", "ansible.builtin.copy", "ansible.builtin.template"):
        args = task.get(module)
        if args and args.get("state") not in {"directory", "absent"}:
            return args.get("dest") or args.get("path")
    return None


def test_no_task_writes_into_a_directory_the_play_creates_later() -> None:
    """Error 5: the maintenance flag was touched in /etc/churn-api before the role created it."""
    order = _play_order()
    created = {
        t["ansible.builtin.file"]["path"]: i
        for i, t in enumerate(order)
        if t.get("ansible.builtin.file", {}).get("state") == "directory"
    }
    for i, task in enumerate(order):
        path = _written_path(task)
        if path is None:
            continue
        parent = path.rsplit("/", 1)[0]
        if parent in created:
            assert created[parent] < i, f"{task['name']!r} writes into {parent} before it exists"


def test_no_task_reports_a_change_on_every_run() -> None:
    """`state: touch` updates the timestamps, so it reports `changed` every time it runs."""
    for task in _play_order():
        args = task.get("ansible.builtin.file", {})
        if args.get("state") == "touch":
            assert args.get("modification_time") == args.get("access_time") == "preserve", task
        module = next(k for k in task if k.startswith("ansible.builtin."))
        if module in {"ansible.builtin.command", "ansible.builtin.shell"}:
            assert "changed_when" in task or "creates" in task[module], task["name"]


def _wheel(directory: Path, version: str) -> Path:
    """A minimal, dependency-free wheel of the service package (a stand-in for the CI artefact)."""
    import base64
    import hashlib
    import zipfile

    info = f"churn_api-{version}.dist-info"
    files = {
        "churn_api/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: churn-api\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: lecture12\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    path = directory / f"churn_api-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
            digest = hashlib.sha256(text.encode()).digest()
            encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            record.append(f"{name},sha256={encoded},{len(text)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@pytest.fixture(scope="module")
def ansible_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the real playbook twice against localhost, every path inside a scratch directory."""
    playbook = Path(sys.executable).with_name("ansible-playbook")
    if not playbook.exists():
        pytest.skip("needs ansible-playbook (the `lectures` dependency group)")
    tmp = tmp_path_factory.mktemp("ansible")
    root = tmp / "root"
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    import grp
    import os
    import pwd

    extra = {
        "churn_api_owner": pwd.getpwuid(os.getuid()).pw_name,
        "churn_api_group": grp.getgrgid(os.getgid()).gr_name,
        "churn_api_home": str(root / "opt" / "churn-api"),
        "churn_api_config_dir": str(root / "etc" / "churn-api"),
        "churn_api_state_dir": str(root / "var" / "lib" / "churn-api"),
        "churn_api_unit_dir": str(root / "etc" / "systemd" / "system"),
        "churn_api_python": sys.executable,
        "churn_api_wheel": str(_wheel(tmp, "1.0.0")),
    }
    (tmp / "vars.yml").write_text(yaml.safe_dump(extra))
    inventory = {
        "churn_api": {
            "hosts": {
                "localhost": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": sys.executable,
                    "ansible_become": False,
                }
            }
        }
    }
    (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
    env = {
        **os.environ,
        "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_GATHERING": "explicit",  # the role uses no facts; saves a few seconds per run
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
    }
    command = [
        str(playbook),
        "-i",
        str(tmp / "inventory.yml"),
        str(ANSIBLE / "playbook.yml"),
        "--skip-tags",
        "system",
        "-e",
        f"@{tmp / 'vars.yml'}",
    ]
    runs = []
    for _ in range(2):
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=300, env=env, check=False
        )
        runs.append(done)
    return {"runs": runs, "root": root, "vars": extra}


def _recap(run: subprocess.CompletedProcess[str]) -> dict[str, int]:
    match = RECAP.search(run.stdout)
    assert match, run.stdout[-2000:] + run.stderr[-2000:]
    return dict(
        zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()), strict=True)
    )


def test_playbook_applies_then_changes_nothing(ansible_runs: dict) -> None:
    first, second = ansible_runs["runs"]
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert _recap(first)["changed"] >= 6 and _recap(first)["failed"] == 0
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert _recap(second)["changed"] == 0, second.stdout
    assert "Take the host out of the load balancer" in second.stdout  # evaluated, skipped
    assert "RUNNING HANDLER" not in second.stdout


def test_playbook_leaves_the_expected_files(ansible_runs: dict) -> None:
    root, extra = ansible_runs["root"], ansible_runs["vars"]
    env_file = Path(extra["churn_api_config_dir"]) / "churn-api.env"
    assert "DATABASE_URL=postgresql://churn@db.internal:5432/churn" in env_file.read_text()
    assert oct(env_file.stat().st_mode & 0o777) == "0o640"
    unit = (root / "etc" / "systemd" / "system" / "churn-api.service").read_text()
    assert f"ExecStart={extra['churn_api_home']}/venv/bin/uvicorn" in unit
    assert f"EnvironmentFile={env_file}" in unit
    state = Path(extra["churn_api_state_dir"])
    assert (state / "release").read_text() == "1.0.0\n"
    assert not (state / "maintenance").exists()  # back in the load balancer
    venv_python = Path(extra["churn_api_home"]) / "venv" / "bin" / "python"
    installed = subprocess.run(
        [str(venv_python), "-c", "import churn_api; print(churn_api.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert installed.stdout.strip() == "1.0.0", installed.stderr


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


# --- A/B test of two model versions ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ab() -> ModuleType:
    return load("ab_test")


@pytest.fixture(scope="module")
def ab_setup(ab: ModuleType) -> tuple:
    data = ab.load()
    return data, ab.train_versions(data)


def test_traffic_split_is_deterministic_balanced_and_salted(
    ab: ModuleType, ab_setup: tuple
) -> None:
    ids = [str(i) for i in ab_setup[0]["row_id"]]
    arms = [ab.arm(i) for i in ids]
    assert arms == [ab.arm(i) for i in ids]  # sticky: same customer, same arm
    assert abs(arms.count("B") / len(ids) - 0.5) < 0.02
    assert abs([ab.arm(i, share_b=0.1) for i in ids].count("B") / len(ids) - 0.1) < 0.015
    reshuffled = [ab.arm(i, salt="another-experiment") for i in ids]
    moved = sum(a != b for a, b in zip(arms, reshuffled, strict=True)) / len(ids)
    assert 0.45 < moved < 0.55  # a new salt re-randomises, independently of the old split


def test_z_test_agrees_with_scipy(ab: ModuleType) -> None:
    stats = pytest.importorskip("scipy.stats")
    z, p = ab.two_proportion_z_test(595, 2759, 567, 2848)
    chi2, p_scipy, _, _ = stats.chi2_contingency(
        [[595, 2759 - 595], [567, 2848 - 567]], correction=False
    )
    assert p == pytest.approx(p_scipy, rel=1e-9)
    assert z**2 == pytest.approx(chi2, rel=1e-9)


def test_planted_effect_is_significant_and_no_effect_is_not(
    ab: ModuleType, ab_setup: tuple
) -> None:
    data, models = ab_setup
    same = {"A": models["A"], "B": models["A"]}
    planted = ab.run_experiment(data, same, save_probability={"A": 0.0, "B": 0.8})
    assert planted.b.rate < planted.a.rate and planted.z < 0 and planted.p_value < 1e-6
    # A/A tests: the same model and offer in both arms. Over 20 re-randomisations about 5 % may
    # come out "significant" by chance (that is what alpha = 0.05 means), not more.
    p_values = [ab.run_experiment(data, same, salt=f"aa-{k}").p_value for k in range(20)]
    assert sum(p < 0.05 for p in p_values) <= 3
    assert max(p_values) > 0.5


def test_sample_size_matches_the_formula_and_gives_the_promised_power(ab: ModuleType) -> None:
    # By hand: z = 1.95996 and 0.84162, p = 0.55; (1.95996 * sqrt(2 * 0.55 * 0.45)
    # + 0.84162 * sqrt(0.25 + 0.24))^2 / 0.1^2 = 387.3 -> 388 per arm.
    n = ab.sample_size_per_arm(0.5, 0.6)
    assert n == 388
    assert ab.sample_size_per_arm(0.26, 0.25) > 25 * ab.sample_size_per_arm(0.26, 0.20)
    # Simulated experiments at that size detect the difference about 80 % of the time.
    rng = np.random.default_rng(0)
    x_a, x_b = rng.binomial(n, 0.5, 4000), rng.binomial(n, 0.6, 4000)
    pooled = (x_a + x_b) / (2 * n)
    z = (x_b - x_a) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    assert 0.77 < np.mean(np.abs(z) > 1.959964) < 0.83
    with pytest.raises(ValueError, match="differ"):
        ab.sample_size_per_arm(0.3, 0.3)


def test_ab_demo_prints_the_experiment(ab: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    ab.main()
    out = capsys.readouterr().out
    assert re.search(r"arm A: \d+ customers", out) and "A/A check" in out
    assert re.search(r"to detect 1 point \(26% -> 25%\): [\d,]+ per arm", out)
