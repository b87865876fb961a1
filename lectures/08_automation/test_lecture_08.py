"""Tests for lecture 8: the teaching DAG runner, the churn pipeline run by Dagster and Airflow,
and the CI files."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

EXAMPLES = Path(__file__).resolve().parent / "examples"
REPO = Path(__file__).resolve().parents[2]
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
if not CHECK_JSONSCHEMA.exists():  # e.g. a resolved interpreter path outside the venv
    CHECK_JSONSCHEMA = Path(shutil.which("check-jsonschema") or "check-jsonschema")
YAMLLINT_CONFIG = YamlLintConfig(
    "{extends: default, rules: {line-length: {max: 100}, truthy: {check-keys: false},"
    " document-start: disable}}"
)


def _load(name: str) -> ModuleType:
    key = f"lecture08_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


dag_mod = _load("mini_dag")
pipeline = _load("churn_pipeline")


def _quiet(_: str) -> None:
    pass


# ----------------------------------------------------------------------------- mini_dag
def _writer(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    if params["_attempt"] <= params.get("_fail", 0):
        raise ConnectionError("transient")
    if params.get("gate"):
        raise dag_mod.NonRetryableError("gate closed")
    upstream = "".join((inputs[u] / "v.txt").read_text() for u in sorted(inputs))
    (out / "v.txt").write_text(upstream + params["v"])


def test_topological_order_respects_dependencies_and_is_deterministic() -> None:
    t = dag_mod.Task
    dag = dag_mod.DAG(
        "d",
        [
            t("report", _writer, ("train", "eval")),
            t("eval", _writer, ("train",)),
            t("train", _writer, ("load",)),
            t("load", _writer),
        ],
    )
    assert dag.order == ["load", "train", "eval", "report"]
    for up, down in dag.edges():
        assert dag.order.index(up) < dag.order.index(down)


def test_cycles_and_unknown_dependencies_are_refused() -> None:
    t = dag_mod.Task
    with pytest.raises(ValueError, match="cycle"):
        dag_mod.DAG("c", [t("a", _writer, ("b",)), t("b", _writer, ("a",))])
    with pytest.raises(ValueError, match="unknown"):
        dag_mod.DAG("u", [t("a", _writer, ("ghost",))])


def test_retries_recover_transient_failures(tmp_path: Path) -> None:
    t = dag_mod.Task
    ok = dag_mod.DAG("r", [t("a", _writer, retries=2, params={"v": "A", "_fail": 2})])
    result = ok.run(tmp_path / "ok", log=_quiet)["a"]
    assert (result.status, result.attempts) == ("ran", 3)
    no_retry = dag_mod.DAG(
        "r",
        [
            t("a", _writer, params={"v": "A", "_fail": 1}),
            t("b", _writer, ("a",), params={"v": "B"}),
        ],
    )
    results = no_retry.run(tmp_path / "bad", log=_quiet)
    assert results["a"].status == "failed"
    assert results["b"].status == "upstream_failed"
    assert not (tmp_path / "bad" / "a").exists()  # no half-written output left behind


def test_non_retryable_errors_fail_on_the_first_attempt(tmp_path: Path) -> None:
    dag = dag_mod.DAG("g", [dag_mod.Task("a", _writer, retries=5, params={"v": "A", "gate": 1})])
    result = dag.run(tmp_path, log=_quiet)["a"]
    assert (result.status, result.attempts) == ("failed", 1)


def test_cache_skips_unchanged_tasks_and_reruns_downstream_of_a_change(tmp_path: Path) -> None:
    def build(v_b: str) -> Any:
        t = dag_mod.Task
        return dag_mod.DAG(
            "c",
            [
                t("a", _writer, params={"v": "A"}),
                t("b", _writer, ("a",), params={"v": v_b}),
                t("c", _writer, ("b",), params={"v": "C"}),
            ],
        )

    first = build("B").run(tmp_path, log=_quiet)
    assert {r.status for r in first.values()} == {"ran"}
    again = build("B").run(tmp_path, log=_quiet)
    assert {r.status for r in again.values()} == {"cached"}
    changed = build("B2").run(tmp_path, log=_quiet)
    assert [changed[n].status for n in "abc"] == ["cached", "ran", "ran"]
    assert (tmp_path / "c" / "v.txt").read_text() == "AB2C"


def test_mini_dag_demo_prints_order_retry_and_cache(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "mini_dag.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "topological order: a -> b -> c -> d" in out
    assert "-> retrying" in out
    assert "final output: ABACD" in out
    assert "second run: {'a': 'cached', 'b': 'cached', 'c': 'cached', 'd': 'cached'}" in out


# ----------------------------------------------------------------------------- the pipeline
def test_same_seed_gives_byte_identical_metrics(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    for run in ("a", "b"):
        results = pipeline.build_dag(registry, seed=42).run(tmp_path / run, log=_quiet)
        assert {r.status for r in results.values()} == {"ran"}
    metrics_a = (tmp_path / "a" / "evaluate" / "metrics.json").read_bytes()
    metrics_b = (tmp_path / "b" / "evaluate" / "metrics.json").read_bytes()
    assert metrics_a == metrics_b
    metrics = json.loads(metrics_a)
    assert metrics["roc_auc"] >= pipeline.ROC_AUC_FLOOR
    assert metrics["n_test"] == 1122
    # Identical model bytes: the registry keeps one version, the second run reuses it.
    assert sorted(p.name for p in (registry / "churn").iterdir()) == ["v1"]
    second = json.loads((tmp_path / "b" / "register" / "registered.json").read_text())
    assert second == {"new": False, "version": "v1"}
    record = json.loads((registry / "churn" / "v1" / "experiment.json").read_text())
    assert record["data"]["md5"] == pipeline.md5_of(pipeline.DATA_PATH)
    assert record["params"] == {"C": 1.0, "seed": 42}
    assert set(record["environment"]["packages"]) == {"numpy", "pandas", "scikit-learn"}

    pipeline.build_dag(registry, seed=7).run(tmp_path / "c", log=_quiet)
    assert (tmp_path / "c" / "evaluate" / "metrics.json").read_bytes() != metrics_a


def test_changed_data_invalidates_the_cache_and_bad_data_stops_the_pipeline(
    tmp_path: Path,
) -> None:
    source = tmp_path / "train.csv"
    shutil.copyfile(pipeline.DATA_PATH, source)
    registry = tmp_path / "registry"
    pipeline.build_dag(registry, source=source).run(tmp_path / "run", log=_quiet)
    lines = source.read_text().splitlines(keepends=True)
    source.write_text("".join(lines + [lines[1]]))  # a duplicated customer sneaks in
    results = pipeline.build_dag(registry, source=source).run(tmp_path / "run", log=_quiet)
    assert results["extract"].status == "ran"  # new md5 -> new cache key
    assert (results["validate"].status, results["validate"].attempts) == ("failed", 1)
    assert "duplicate row_id" in results["validate"].error
    assert results["register"].status == "upstream_failed"


def test_quality_gate_blocks_registration(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    results = pipeline.build_dag(registry, floor=0.99).run(tmp_path / "run", log=_quiet)
    assert results["evaluate"].status == "ran"
    assert results["register"].status == "failed"
    assert "quality gate" in results["register"].error
    assert not (registry / "churn").exists() or not any((registry / "churn").iterdir())


def test_cli_single_run_prints_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = pipeline.main(["--workdir", str(tmp_path / "ci"), "--seed", "42"])
    out = capsys.readouterr().out
    assert code == 0
    metrics = json.loads(out[out.index("{") :])
    assert 0.80 <= metrics["roc_auc"] <= 0.90


def test_demo_reports_reproducibility(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["churn_pipeline.py"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(EXAMPLES / "churn_pipeline.py"), run_name="__main__")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "byte-identical: True" in out
    assert "seed 7 metrics.json identical to seed 42: False" in out
    assert "'A again': 'extract=cached validate=cached split=cached train=cached" in out
    assert "'A, C=0.1': 'extract=cached validate=cached split=cached train=ran" in out
    assert "extract   attempt 1 failed: ConnectionError" in out


# ----------------------------------------------------------------------------- config files
def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), *args], capture_output=True, text=True, timeout=60
    )


def test_github_workflow_is_valid_and_broken_one_is_not(tmp_path: Path) -> None:
    workflow = EXAMPLES / "train.yml"
    ok = _check_jsonschema("--builtin-schema", "vendor.github-workflows", str(workflow))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("runs-on:", "runs_on:"))
    bad = _check_jsonschema("--builtin-schema", "vendor.github-workflows", str(broken))
    assert bad.returncode == 1
    assert "runs-on" in bad.stdout


def test_gitlab_ci_is_valid() -> None:
    result = _check_jsonschema(
        "--builtin-schema",
        "vendor.gitlab-ci",
        "--data-transform",
        "gitlab-ci",
        str(EXAMPLES / "gitlab-ci.yml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["train.yml", "gitlab-ci.yml"])
def test_ci_files_pass_yamllint(name: str) -> None:
    problems = list(linter.run((EXAMPLES / name).read_text(), YAMLLINT_CONFIG))
    assert problems == []


def test_workflow_implements_ci_ct_cd_and_calls_real_files() -> None:
    text = (EXAMPLES / "train.yml").read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(triggers)
    jobs = workflow["jobs"]
    assert jobs["train"]["needs"] == "test"
    assert jobs["deliver"]["needs"] == "train"
    assert all("timeout-minutes" in job for job in jobs.values())
    scripts = re.findall(r"uv run python (\S+\.py)", text)
    assert scripts
    for script in scripts:
        assert (REPO / script).is_file(), script


def _airflow_dag_structure() -> tuple[set[str], set[tuple[str, str]], ast.Call]:
    tree = ast.parse((EXAMPLES / "airflow_churn_dag.py").read_text())
    dag_fn = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(
            isinstance(d, ast.Call) and getattr(d.func, "id", "") == "dag"
            for d in node.decorator_list
        )
    )
    decorator = next(d for d in dag_fn.decorator_list if isinstance(d, ast.Call))
    tasks = {
        node.name
        for node in dag_fn.body
        if isinstance(node, ast.FunctionDef)
        and any(
            getattr(d, "id", None) == "task"
            or getattr(getattr(d, "func", None), "id", None) == "task"
            for d in node.decorator_list
        )
    }
    producer: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    for stmt in dag_fn.body:
        call = stmt.value if isinstance(stmt, ast.Assign | ast.Expr) else None
        if not isinstance(call, ast.Call) or getattr(call.func, "id", None) not in tasks:
            continue
        for arg in call.args:
            edges.add((producer[arg.id], call.func.id))
        if isinstance(stmt, ast.Assign):
            producer[stmt.targets[0].id] = call.func.id
    return tasks, edges, decorator


def test_airflow_dag_mirrors_the_teaching_pipeline() -> None:
    tasks, edges, decorator = _airflow_dag_structure()
    teaching = pipeline.build_dag(Path("unused-registry"))
    assert tasks == set(pipeline.TASK_NAMES) == set(teaching.tasks)
    assert edges == teaching.edges()
    keywords = {kw.arg: kw.value for kw in decorator.keywords}
    assert ast.literal_eval(keywords["schedule"]) == "@weekly"
    assert ast.literal_eval(keywords["catchup"]) is False


AIRFLOW_ENV = Path(__file__).resolve().parent / "airflow"  # Airflow's own uv project


def _airflow_binary() -> Path:
    """Airflow's CLI from its own environment; skip naming it on a laptop, fail under CI."""
    binary = AIRFLOW_ENV / ".venv" / "bin" / "airflow"
    if not binary.is_file():
        message = (
            f"needs Apache Airflow: uv sync --frozen --project {AIRFLOW_ENV.relative_to(REPO)}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: .ci/run must install it)")
        pytest.skip(message)
    return binary


def test_airflow_runs_the_dag(tmp_path: Path) -> None:
    """`airflow dags test` on a local metadata store (SQLite in AIRFLOW_HOME): the six tasks
    succeed in order and the model lands in the registry. (Retries are shown with Dagster: one
    more Airflow task run costs several seconds of process start-up.)"""
    import sqlite3

    airflow = _airflow_binary()
    home, data = tmp_path / "airflow_home", tmp_path / "data"
    dags = home / "dags"
    dags.mkdir(parents=True)
    for name in ("airflow_churn_dag.py", "churn_pipeline.py", "mini_dag.py"):
        shutil.copy2(EXAMPLES / name, dags / name)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",  # a busy CI machine parses slowly
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",  # no usage reports from tests
        "SCARF_ANALYTICS": "false",
        "CHURN_DATA_ROOT": str(data),
        "CHURN_SOURCE": str(pipeline.DATA_PATH),
    }
    for command in (["db", "migrate"], ["dags", "test", "churn_training", "2025-01-06"]):
        done = subprocess.run(
            [str(airflow), *command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with sqlite3.connect(home / "airflow.db") as metadata:
        tasks = metadata.execute(
            "SELECT task_id, state FROM task_instance ORDER BY start_date"
        ).fetchall()
        ((run_id, state),) = metadata.execute("SELECT run_id, state FROM dag_run").fetchall()
    assert state == "success"
    assert tasks == [(task, "success") for task in pipeline.TASK_NAMES]
    metrics = json.loads((data / run_id / "evaluate" / "metrics.json").read_text())
    assert metrics["roc_auc"] >= pipeline.ROC_AUC_FLOOR
    assert (data / "registry" / "churn" / "v1" / "model.pkl").is_file()


# ----------------------------------------------------------------------------- pinning, delivery
PINNED = re.compile(r"^([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s+(v\d+\.\d+\.\d+)$")


def _uses(text: str) -> list[str]:
    return [m.strip() for m in re.findall(r"^\s*-?\s*uses:\s*(.+)$", text, flags=re.MULTILINE)]


def test_actions_are_pinned_by_commit_sha_with_the_tag_as_a_comment() -> None:
    """Error 11: the lecture teaches what the course repository itself does."""
    uses = _uses((EXAMPLES / "train.yml").read_text())
    assert uses
    ours: dict[str, set[tuple[str, str]]] = {}
    for workflow in (REPO / ".github" / "workflows").glob("*.yml"):
        for line in _uses(workflow.read_text()):
            if match := PINNED.match(line):
                ours.setdefault(match.group(1), set()).add(match.group(2, 3))
    for line in uses:
        match = PINNED.match(line)
        assert match, f"not pinned to a commit SHA with the tag as a comment: {line}"
        action, sha, tag = match.groups()
        for known_sha, known_tag in ours.get(action, set()):
            if known_tag == tag:
                assert known_sha == sha, f"{action} {tag} has another SHA in .github/workflows"
    readme = (EXAMPLES.parent / "README.md").read_text()
    assert re.search(r"uses: actions/checkout@[0-9a-f]{40}\s+# v\d", readme)


def _step(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(action + "@")]


def test_deliver_job_builds_the_image_with_the_trained_model() -> None:
    """Error 6: the file the image serves is the file continuous training produced."""
    workflow = yaml.safe_load((EXAMPLES / "train.yml").read_text())
    train_job, deliver = workflow["jobs"]["train"], workflow["jobs"]["deliver"]
    # 1. the pipeline step of the train job writes the serving model ...
    command = " ".join(s.get("run", "") for s in train_job["steps"])
    exported = re.search(r"--export-onnx (\S+)", command).group(1)
    # 2. ... which is uploaded as an artifact ...
    (upload,) = [
        s for s in _step(train_job, "actions/upload-artifact") if s["with"]["path"] == exported
    ]
    # 3. ... downloaded by the deliver job into the build context ...
    (download,) = _step(deliver, "actions/download-artifact")
    assert download["with"]["name"] == upload["with"]["name"]
    delivered = str(Path(download["with"]["path"]) / Path(exported).name)
    build = " ".join(s.get("run", "") for s in deliver["steps"])
    assert re.search(r"docker build .* \.$", build, flags=re.MULTILINE)
    # 4. ... exactly where the course Dockerfile copies the model from and serves it.
    dockerfile = (REPO / "lectures/06_containers_and_orchestration/examples/Dockerfile").read_text()
    model_path = re.search(r"MODEL_PATH=(\S+)", dockerfile).group(1)
    workdir = re.findall(r"^WORKDIR (\S+)", dockerfile, flags=re.MULTILINE)[-1]
    copies = dict(re.findall(r"^COPY (?!--from)(\S+) (\S+)$", dockerfile, flags=re.MULTILINE))
    in_image = str(Path(model_path).relative_to(workdir))
    source_dir = next(
        src for src, dst in copies.items() if Path(workdir, dst) == Path(model_path).parent
    )
    assert delivered == str(Path(source_dir) / Path(in_image).name) == "models/churn.onnx"


def test_cli_exports_the_registered_model_as_onnx(tmp_path: Path) -> None:
    """The train job's `--export-onnx` writes a model that scores like the trained pipeline."""
    import numpy as np
    import onnxruntime as ort
    import pandas as pd

    out = tmp_path / "models" / "churn.onnx"
    code = pipeline.main(["--workdir", str(tmp_path / "run"), "--export-onnx", str(out)])
    assert code == 0 and out.stat().st_size > 0
    model = pipeline.pickle.loads(
        (tmp_path / "run" / "registry" / "churn" / "v1" / "model.pkl").read_bytes()
    )
    rows = pd.read_csv(pipeline.DATA_PATH).head(50)
    feeds = {c: rows[[c]].to_numpy(dtype=np.float32) for c in pipeline.NUMERIC}
    feeds |= {c: rows[[c]].to_numpy(dtype=object).astype(str) for c in pipeline.CATEGORICAL}
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    onnx_proba = session.run(None, feeds)[1][:, 1]
    assert np.allclose(onnx_proba, model.predict_proba(rows)[:, 1], atol=1e-5)


# ----------------------------------------------------------------------------- MLflow
def test_mlflow_tracks_every_run_and_the_gate_decides_the_champion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real MLflow tracking and model registry on a local SQLite store."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage reports from tests
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    registry = tmp_path / "registry"
    good = pipeline.build_dag(registry, mlflow_uri=uri).run(tmp_path / "good", log=_quiet)
    assert good["register"].status == "ran"
    bad = pipeline.build_dag(registry, floor=0.99, mlflow_uri=uri).run(tmp_path / "bad", log=_quiet)
    assert bad["register"].status == "failed"

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("churn-training")
    assert experiment.artifact_location.startswith(tmp_path.resolve().as_uri())  # not ./mlruns
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.tags["gate"] for r in runs) == ["failed", "passed"]
    for run in runs:
        assert run.data.params == {"C": "1.0", "seed": "42"}
        assert 0.8 < run.data.metrics["roc_auc"] < 0.9
        assert run.data.tags["data_md5"] == pipeline.md5_of(pipeline.DATA_PATH)
    passed = next(r for r in runs if r.data.tags["gate"] == "passed")
    (version,) = client.search_model_versions("name = 'churn'")  # the failed run has none
    champion = client.get_model_version_by_alias("churn", "champion")
    assert champion.version == version.version and champion.run_id == passed.info.run_id
    local = Path(
        download_artifacts(artifact_uri="models:/churn@champion", dst_path=str(tmp_path / "dl"))
    )
    model_file = next(local.rglob("model.pkl"))
    assert model_file.read_bytes() == (registry / "churn" / "v1" / "model.pkl").read_bytes()


# ----------------------------------------------------------------------------- Dagster
def _dagster_structure() -> tuple[set[str], set[tuple[str, str]]]:
    tree = ast.parse((EXAMPLES / "dagster_churn_job.py").read_text())

    def decorated(node: ast.AST, name: str) -> bool:
        return isinstance(node, ast.FunctionDef) and any(
            getattr(d, "id", None) == name or getattr(getattr(d, "func", None), "id", None) == name
            for d in node.decorator_list
        )

    ops = {node.name for node in tree.body if decorated(node, "op")}
    (job_fn,) = [node for node in tree.body if decorated(node, "job")]
    producer: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    for stmt in job_fn.body:
        call = stmt.value if isinstance(stmt, ast.Assign | ast.Expr) else None
        if not isinstance(call, ast.Call) or getattr(call.func, "id", None) not in ops:
            continue
        edges |= {(producer[arg.id], call.func.id) for arg in call.args}
        if isinstance(stmt, ast.Assign):
            producer[stmt.targets[0].id] = call.func.id
    return ops, edges


def test_dagster_job_has_the_same_shape_as_the_teaching_runner() -> None:
    ops, edges = _dagster_structure()
    teaching = pipeline.build_dag(Path("unused-registry"))
    assert ops == set(pipeline.TASK_NAMES) == set(teaching.tasks)
    assert edges == teaching.edges()


def test_dagster_executes_the_pipeline_with_a_retry(tmp_path: Path) -> None:
    """`dagster job execute` on a local instance (SQLite run and event storage in DAGSTER_HOME)."""
    import os
    import sqlite3

    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CHURN_DATA_ROOT": str(data),
        "CHURN_FAIL_FIRST_ATTEMPTS": "1",  # the source fails once: Dagster retries extract
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "job",
            "execute",
            "-f",
            str(EXAMPLES / "dagster_churn_job.py"),
            "-j",
            "churn_training",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with sqlite3.connect(home / "history" / "runs.db") as runs_db:
        ((job_name, status, run_id),) = runs_db.execute(
            "SELECT pipeline_name, status, run_id FROM runs"
        ).fetchall()
    assert (job_name, status) == ("churn_training", "SUCCESS")
    with sqlite3.connect(home / "history" / "runs" / f"{run_id}.db") as events_db:
        events = events_db.execute(
            "SELECT dagster_event_type, step_key FROM event_logs WHERE dagster_event_type IS NOT NULL"
        ).fetchall()
    succeeded = [step for kind, step in events if kind == "STEP_SUCCESS"]
    assert sorted(succeeded) == sorted(pipeline.TASK_NAMES)
    assert ("STEP_UP_FOR_RETRY", "extract") in events
    metrics = json.loads((data / run_id / "evaluate" / "metrics.json").read_text())
    assert metrics["roc_auc"] >= pipeline.ROC_AUC_FLOOR
    assert (data / "registry" / "churn" / "v1" / "model.pkl").is_file()


def test_notes_do_not_say_students_have_no_docker() -> None:
    """Error 11: the build machines lack a Docker engine, a student's laptop need not."""
    claim = re.compile(
        r"(docker is not installed|no docker engine) on the course machines", re.IGNORECASE
    )
    texts = list((REPO / "lectures").glob("*/README.md"))
    texts += list((REPO / "lectures").glob("*/examples/*.py"))
    offenders = [
        str(p.relative_to(REPO)) for p in texts if claim.search(" ".join(p.read_text().split()))
    ]
    assert offenders == []
