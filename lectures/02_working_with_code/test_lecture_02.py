"""Tests for lecture 2: scoring kernel, threads vs processes, IPC, patterns, lockfile, configs."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
MODULES = ("churn_kernel", "threads_vs_processes", "ipc_channels", "design_patterns")
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def ex():
    """Import the example modules by name with the examples folder on sys.path.

    The modules are removed from sys.modules afterwards so that other lectures can use the
    same file names without clashing.
    """
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(EXAMPLES))
        for name in MODULES:
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def trained(ex):
    """Rows, labels and exported weights, trained once for the whole module."""
    kernel = ex["churn_kernel"]
    rows, labels = kernel.load_rows()
    return rows, labels, kernel.train_weights(rows, labels)


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def test_pure_python_scorer_matches_numpy_and_is_a_useful_model(ex, trained):
    import numpy as np
    from sklearn.metrics import roc_auc_score

    kernel = ex["churn_kernel"]
    rows, labels, weights = trained
    assert len(rows) == 5607
    assert sum(labels) == 1467
    scores = kernel.score_rows(weights, rows)
    matrix = kernel.encode_matrix(weights, rows)
    vectorised = 1 / (1 + np.exp(-(matrix @ kernel.weight_vector(weights) + weights["bias"])))
    assert np.max(np.abs(vectorised - np.array(scores))) < 1e-9
    assert roc_auc_score(labels, scores) > 0.8


def test_threads_processes_and_numpy_compute_the_same_result(ex, trained):
    tvp = ex["threads_vs_processes"]
    rows, _, weights = trained
    timings = tvp.run_cpu_benchmark(weights, rows, repeats=2, workers=2)
    assert [t.mode for t in timings] == ["serial", "threads", "processes", "numpy vectorised"]
    serial = timings[0].result
    assert serial == pytest.approx(2 * sum(ex["churn_kernel"].score_rows(weights, rows)))
    for t in timings[1:]:
        assert t.result == pytest.approx(serial, rel=1e-12), t.mode


def test_threads_overlap_io_waits(ex):
    serial, threads = ex["threads_vs_processes"].run_io_benchmark(8, 8, 0.05)
    assert serial.result == threads.result == 800.0
    assert serial.seconds >= 0.4
    assert threads.seconds < serial.seconds / 2


def test_split_covers_the_range_exactly(ex):
    slices = ex["threads_vs_processes"].split(10, 3)
    assert slices == [(0, 3), (3, 6), (6, 10)]


def test_ipc_channels_return_the_in_process_scores(ex, trained):
    ipc = ex["ipc_channels"]
    rows, _, weights = trained
    reference = ex["churn_kernel"].score_rows(weights, rows)

    pipe = ipc.demo_pipe(weights, rows)
    assert pipe["exitcode"] == 0
    assert pipe["messages"] == 12
    assert ipc.max_abs_diff(pipe["scores"], reference) == 0.0

    queue = ipc.demo_queue(weights, rows, workers=2)
    assert queue["exitcodes"] == [0, 0]
    assert sum(queue["tasks_per_worker"].values()) == 12
    assert ipc.max_abs_diff(queue["scores"], reference) == 0.0

    shm = ipc.demo_shared_memory(weights, rows)
    assert shm["exitcode"] == 0
    assert ipc.max_abs_diff(shm["scores"], reference) < 1e-9
    assert shm["shared_bytes"] > 1_000_000 > 100 * shm["bytes_pickled"]


def test_design_patterns(ex, trained, tmp_path, monkeypatch):
    import json

    dp = ex["design_patterns"]
    rows, _, weights = trained
    assert {"linear", "tenure-rule"} <= set(dp.MODEL_REGISTRY)
    with pytest.raises(ValueError, match="known: linear, tenure-rule"):
        dp.build_model(dp.ServiceSettings(model="xgboost"))

    artefact = tmp_path / "weights.json"
    artefact.write_text(json.dumps(weights))
    monkeypatch.setenv("CHURN_MODEL", "linear")
    monkeypatch.setenv("CHURN_WEIGHTS_PATH", str(artefact))
    monkeypatch.setenv("CHURN_POLICY", "top-k")
    monkeypatch.setenv("CHURN_BUDGET", "0.25")
    settings = dp.ServiceSettings()
    service = dp.build_service(settings)
    results = service.score(rows[:8])
    assert sum(r["offer"] for r in results) == 2
    assert results[1]["churn_probability"] == pytest.approx(0.70, abs=0.01)

    monkeypatch.setenv("CHURN_THRESHOLD", "1.5")
    with pytest.raises(ValueError):
        dp.ServiceSettings()


def test_policies_and_injected_fake_model(ex):
    dp = ex["design_patterns"]

    class FakeModel:
        name = "fake"

        def predict_proba(self, rows):
            return [0.9, 0.1, 0.6, 0.6]

    assert dp.TopKPolicy(0.5).decide([0.9, 0.1, 0.6, 0.6]) == [True, False, True, False]
    assert dp.ThresholdPolicy(0.6).decide([0.9, 0.1, 0.6]) == [True, False, True]
    out = dp.ScoringService(FakeModel(), dp.TopKPolicy(0.25)).score([{}] * 4)
    assert [r["offer"] for r in out] == [True, False, False, False]
    legacy = dp.LegacyScorerAdapter().predict_proba(
        [{"tenure": 2, "contract": "Month-to-month"}, {"tenure": 2, "contract": "Two year"}]
    )
    assert legacy == [0.8, 0.2]


def test_lockfile_audit_detects_drift(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "lecture02_lockfile_audit", EXAMPLES / "lockfile_audit.py"
    )
    audit = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = audit
    spec.loader.exec_module(audit)

    from importlib import metadata

    pytest_version = metadata.version("pytest")
    lock = tmp_path / "uv.lock"
    lock.write_text(
        textwrap.dedent(
            f"""
            version = 1
            [[package]]
            name = "PyTest"
            version = "{pytest_version}"
            source = {{ registry = "https://pypi.org/simple" }}
            wheels = [{{ url = "https://example.invalid/a.whl", hash = "sha256:00" }}]

            [[package]]
            name = "pyyaml"
            version = "0.0.1"
            source = {{ registry = "https://pypi.org/simple" }}

            [[package]]
            name = "surely-not-installed-pkg"
            version = "1.0"
            source = {{ registry = "https://pypi.org/simple" }}
            """
        )
    )
    status = {f.pin.name: f.status for f in audit.audit(lock)}
    assert status == {"pytest": "ok", "pyyaml": "drift", "surely-not-installed-pkg": "absent"}
    with pytest.raises(SystemExit) as exit_info:
        audit.main(["--lock", str(lock)])
    assert exit_info.value.code == 1
    assert "drift" in capsys.readouterr().out

    real = {f.pin.name: f for f in audit.audit(audit.DEFAULT_LOCK, ["numpy", "Scikit_Learn"])}
    assert set(real) == {"numpy", "scikit-learn"}
    assert all(f.pin.hashed_files > 0 for f in real.values())


def test_example_pyproject_is_valid_and_its_ruff_config_works(tmp_path):
    text = (EXAMPLES / "pyproject_example.toml").read_text()
    config = tomllib.loads(text)
    assert config["project"]["requires-python"] == ">=3.11,<3.14"
    for requirement in config["project"]["dependencies"]:
        assert ">=" in requirement, f"{requirement} has no lower bound"
    assert "pytest>=8" in config["dependency-groups"]["dev"]

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(text)
    ruff = _tool("ruff")
    clean = subprocess.run(
        [ruff, "check", "--config", str(pyproject), str(EXAMPLES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nimport sys\n\nprint(sys.argv)\n")
    dirty = subprocess.run(
        [ruff, "check", "--config", str(pyproject), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dirty.returncode == 1
    assert "F401" in dirty.stdout


def test_pre_commit_config_is_valid():
    path = EXAMPLES / "pre-commit-config.yaml"
    config = yaml.safe_load(path.read_text())
    hook_ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff", "ruff-format", "check-yaml", "detect-private-key"} <= hook_ids
    for repo in config["repos"]:
        if repo["repo"] != "local":
            assert repo["rev"].startswith("v"), "remote hooks must be pinned to a tag"

    lint = subprocess.run(
        [_tool("yamllint"), "-s", str(path)], capture_output=True, text=True, timeout=60
    )
    assert lint.returncode == 0, lint.stdout
    check = subprocess.run(
        [_tool("pre-commit"), "validate-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_examples_run_end_to_end(ex, capsys):
    ex["threads_vs_processes"].main(["--repeats", "1", "--workers", "2", "--latency", "0.01"])
    out = capsys.readouterr().out
    assert "cpu  processes" in out
    assert "io   threads" in out
    ex["design_patterns"].main()
    out = capsys.readouterr().out
    assert "registered models: ['linear', 'tenure-rule']" in out
    assert "unknown model 'xgboost'" in out
    ex["ipc_channels"].main()
    out = capsys.readouterr().out
    assert "shared memory:" in out
    assert out.count("max diff") == 3
    ex["churn_kernel"].main()
    out = capsys.readouterr().out
    assert "5607 customers, 1467 churned, 40 weights" in out
