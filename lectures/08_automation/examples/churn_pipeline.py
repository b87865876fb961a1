"""A real extract -> validate -> split -> train -> evaluate -> register pipeline on the churn data.

The steps are plain functions with the signature ``step(inputs, out_dir, params)``; the
teaching DAG runner in ``mini_dag.py`` decides order, retries and caching. The Airflow
DAG in ``airflow_churn_dag.py`` wires the very same functions, which is the point: business
logic should not depend on the orchestrator.

Demo (two runs with the same seed give a byte-identical metrics.json):

    uv run python lectures/08_automation/examples/churn_pipeline.py

One run, as CI would call it:

    uv run python lectures/08_automation/examples/churn_pipeline.py \
        --workdir runs/local --registry runs/registry --seed 42
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DATA_PATH = REPO / "data" / "train.csv"
ROC_AUC_FLOOR = 0.80

NUMERIC = [
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "tenure",
    "phone_service",
    "paperless_billing",
    "monthly_charges",
    "total_charges",
]
CATEGORICAL = [
    "multiple_lines",
    "internet_service",
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
    "contract",
    "payment_method",
]


def _load_mini_dag() -> ModuleType:
    """Import the sibling ``mini_dag.py`` by path (no packages needed)."""
    key = "lecture08_mini_dag"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / "mini_dag.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


mini_dag = _load_mini_dag()


def md5_of(path: Path) -> str:
    """Content hash of a file (the same idea DVC uses to version data)."""
    digest = hashlib.md5()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Canonical JSON: sorted keys, fixed indent, trailing newline -> stable bytes."""
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


# ----------------------------------------------------------------------------- steps
def extract(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Copy the source snapshot into the run and record its fingerprint."""
    if params["_attempt"] <= params.get("_fail_first_attempts", 0):
        raise ConnectionError("source temporarily unavailable (simulated)")
    source = Path(params["source"])
    shutil.copyfile(source, out / "train.csv")
    rows = sum(1 for _ in (out / "train.csv").open()) - 1
    write_json(out / "source.json", {"md5": md5_of(out / "train.csv"), "rows": rows})


def validate(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Refuse to train on data that breaks basic expectations (not worth retrying)."""
    df = pd.read_csv(inputs["extract"] / "train.csv")
    problems = []
    missing = sorted(set(NUMERIC + CATEGORICAL + ["row_id", "churn"]) - set(df.columns))
    if missing:
        problems.append(f"missing columns {missing}")
    else:
        if not set(df["churn"].unique()) <= {"Yes", "No"}:
            problems.append("churn has values other than Yes/No")
        if df["row_id"].duplicated().any():
            problems.append("duplicate row_id")
        nulls = df.drop(columns="total_charges").isna().sum()
        if nulls.any():
            problems.append(f"unexpected nulls in {sorted(nulls[nulls > 0].index)}")
        if (df.loc[df["total_charges"].isna(), "tenure"] != 0).any():
            problems.append("total_charges missing for a customer with tenure > 0")
    write_json(out / "report.json", {"rows": len(df), "problems": problems})
    if problems:
        raise mini_dag.NonRetryableError("; ".join(problems))


def split(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Stratified train/test split with the run's seed."""
    df = pd.read_csv(inputs["extract"] / "train.csv")
    train, test = train_test_split(
        df, test_size=params["test_size"], random_state=params["seed"], stratify=df["churn"]
    )
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)


def build_model(seed: int, c: float) -> Pipeline:
    """One-hot + scaling + logistic regression; the row id is never a feature."""
    numeric = make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler())
    pre = ColumnTransformer(
        [("num", numeric, NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]
    )
    return Pipeline(
        [("pre", pre), ("clf", LogisticRegression(C=c, max_iter=1000, random_state=seed))]
    )


def train(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Fit the model on the training part and save it with its parameters."""
    df = pd.read_csv(inputs["split"] / "train.csv")
    model = build_model(params["seed"], params["C"])
    model.fit(df, (df["churn"] == "Yes").astype(int))
    (out / "model.pkl").write_bytes(pickle.dumps(model))
    write_json(out / "params.json", {"seed": params["seed"], "C": params["C"]})


def evaluate(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Score the held-out part and write metrics.json with rounded, sorted values."""
    model = pickle.loads((inputs["train"] / "model.pkl").read_bytes())
    test = pd.read_csv(inputs["split"] / "test.csv")
    y = (test["churn"] == "Yes").astype(int)
    proba = model.predict_proba(test)[:, 1]
    write_json(
        out / "metrics.json",
        {
            "roc_auc": round(float(roc_auc_score(y, proba)), 6),
            "accuracy": round(float(accuracy_score(y, proba >= 0.5)), 6),
            "n_test": len(test),
        },
    )


def _git_state() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit or "unknown", "dirty": bool(dirty)}


def experiment_record(workdir: Path, params: Mapping[str, Any]) -> dict[str, Any]:
    """Everything needed to reproduce (or audit) this model."""
    return {
        "code": _git_state(),
        "data": json.loads((workdir / "extract" / "source.json").read_text()),
        "params": json.loads((workdir / "train" / "params.json").read_text()),
        "metrics": json.loads((workdir / "evaluate" / "metrics.json").read_text()),
        "environment": {
            "python": platform.python_version(),
            "packages": {p: version(p) for p in ("numpy", "pandas", "scikit-learn")},
        },
        "quality_gate": {"roc_auc_floor": params["floor"]},
    }


def track_in_mlflow(
    uri: str, inputs: Mapping[str, Path], metrics: Mapping[str, Any], passed: bool
) -> str | None:
    """Record the run in MLflow (params, metrics, the model file) and, if the gate passed,
    register it as a new version of ``churn`` and point the ``champion`` alias at it.

    Returns the new model version, or None when the gate failed. Imported lazily: MLflow is only
    needed when a tracking URI is given (``--mlflow-uri sqlite:///mlflow.db``).
    """
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if mlflow.get_experiment_by_name("churn-training") is None:
        # Keep the artefacts next to a SQLite store instead of MLflow's default ./mlruns.
        store = Path(uri.removeprefix("sqlite:///"))
        location = (
            (store.parent / "mlartifacts").resolve().as_uri()
            if uri.startswith("sqlite:///")
            else None
        )
        mlflow.create_experiment("churn-training", artifact_location=location)
    mlflow.set_experiment("churn-training")
    params = json.loads((inputs["train"] / "params.json").read_text())
    source = json.loads((inputs["train"].parent / "extract" / "source.json").read_text())
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        mlflow.set_tags({"data_md5": source["md5"], "gate": "passed" if passed else "failed"})
        mlflow.log_artifact(str(inputs["train"] / "model.pkl"), artifact_path="model")
    if not passed:
        return None
    client = MlflowClient()
    if not client.search_registered_models(filter_string="name = 'churn'"):
        client.create_registered_model("churn")
    version = client.create_model_version(
        "churn", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    client.set_registered_model_alias("churn", "champion", version.version)
    return str(version.version)


def register(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Quality gate + model registry: store a new version only for a new, good model."""
    metrics = json.loads((inputs["evaluate"] / "metrics.json").read_text())
    passed = metrics["roc_auc"] >= params["floor"]
    if params.get("mlflow_uri"):
        track_in_mlflow(params["mlflow_uri"], inputs, metrics, passed)
    if not passed:
        raise mini_dag.NonRetryableError(
            f"quality gate: roc_auc {metrics['roc_auc']} < floor {params['floor']}"
        )
    model_bytes = (inputs["train"] / "model.pkl").read_bytes()
    model_hash = hashlib.sha256(model_bytes).hexdigest()
    registry = Path(params["registry"]) / "churn"
    registry.mkdir(parents=True, exist_ok=True)
    for existing in sorted(registry.glob("v*")):
        if (existing / "model.sha256").read_text().strip() == model_hash:
            write_json(out / "registered.json", {"version": existing.name, "new": False})
            return
    number = 1 + max((int(p.name[1:]) for p in registry.glob("v*")), default=0)
    target = registry / f"v{number}"
    target.mkdir()
    (target / "model.pkl").write_bytes(model_bytes)
    (target / "model.sha256").write_text(model_hash + "\n")
    workdir = inputs["train"].parent
    write_json(target / "experiment.json", experiment_record(workdir, params))
    write_json(out / "registered.json", {"version": target.name, "new": True})


# ----------------------------------------------------------------------------- the DAG
TASK_NAMES = ["extract", "validate", "split", "train", "evaluate", "register"]


def build_dag(
    registry: Path,
    seed: int = 42,
    c: float = 1.0,
    source: Path = DATA_PATH,
    fail_first_attempts: int = 0,
    floor: float = ROC_AUC_FLOOR,
    mlflow_uri: str | None = None,
) -> Any:
    """Wire the steps into a ``mini_dag.DAG`` (retries only where failures are transient).

    The source file's md5 is a parameter of ``extract``, so new data changes the cache key
    and re-runs the whole chain, while an unchanged file lets it be skipped (as in DVC).
    """
    task = mini_dag.Task
    return mini_dag.DAG(
        "churn_training",
        [
            task(
                "extract",
                extract,
                retries=2,
                params={
                    "source": str(source),
                    "source_md5": md5_of(source),
                    "_fail_first_attempts": fail_first_attempts,
                },
            ),
            task("validate", validate, upstream=("extract",)),
            task(
                "split",
                split,
                upstream=("extract", "validate"),
                params={"seed": seed, "test_size": 0.2},
            ),
            task("train", train, upstream=("split",), params={"seed": seed, "C": c}),
            task("evaluate", evaluate, upstream=("train", "split")),
            task(
                "register",
                register,
                upstream=("train", "evaluate"),
                params={"registry": str(registry), "floor": floor, "mlflow_uri": mlflow_uri},
            ),
        ],
    )


def export_onnx(model_path: Path, out: Path) -> Path:
    """Convert a trained pipeline (``model.pkl``) to ONNX, the format the service image serves.

    Each feature is its own graph input (numbers as float32, categories as strings), as in
    lecture 4; ``row_id`` and ``churn`` are not features, so the ONNX model never sees them.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    model = pickle.loads(model_path.read_bytes())
    inputs = [(c, FloatTensorType([None, 1])) for c in NUMERIC]
    inputs += [(c, StringTensorType([None, 1])) for c in CATEGORICAL]
    onnx_model = convert_sklearn(
        model, initial_types=inputs, options={id(model): {"zipmap": False}}, target_opset=17
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(onnx_model.SerializeToString())
    return out


def sha256_of(path: Path) -> str:
    """Hex digest used to compare artefacts byte for byte."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _quiet(_: str) -> None:
    """Log sink that drops the runner's per-task lines."""


def demo() -> None:
    """Show retries, caching, partial re-runs and bit-for-bit reproducibility."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        registry = root / "registry"
        print("== run A: seed 42 (the source fails once and is retried)")
        run_a = build_dag(registry, seed=42, fail_first_attempts=1).run(root / "run_a")
        print("== run B: seed 42 in a fresh folder")
        build_dag(registry, seed=42).run(root / "run_b", log=_quiet)
        metrics_a = root / "run_a" / "evaluate" / "metrics.json"
        metrics_b = root / "run_b" / "evaluate" / "metrics.json"
        same = metrics_a.read_bytes() == metrics_b.read_bytes()
        print(f"metrics.json A: {sha256_of(metrics_a)[:16]}  B: {sha256_of(metrics_b)[:16]}")
        print(f"byte-identical: {same}")
        registered_b = json.loads((root / "run_b" / "register" / "registered.json").read_text())
        print(f"run B registered: {registered_b} (same model bytes -> no new version)")

        print("== run A again, nothing changed")
        again = build_dag(registry, seed=42).run(root / "run_a")
        print("== run A with C=0.1: only train, evaluate and register re-run")
        changed = build_dag(registry, seed=42, c=0.1).run(root / "run_a")
        print("== run C: seed 7")
        build_dag(registry, seed=7).run(root / "run_c", log=_quiet)
        metrics_c = root / "run_c" / "evaluate" / "metrics.json"
        print(
            f"seed 7 metrics.json identical to seed 42: {metrics_c.read_bytes() == metrics_a.read_bytes()}"
        )
        print("metrics seed 42:", json.loads(metrics_a.read_text()))
        print("metrics seed  7:", json.loads(metrics_c.read_text()))
        print("registry versions:", sorted(p.name for p in (registry / "churn").iterdir()))
        record = json.loads((registry / "churn" / "v1" / "experiment.json").read_text())
        print("v1 experiment record keys:", sorted(record))
        print("summary:", {"A": _statuses(run_a), "A again": _statuses(again)})
        print("summary:", {"A, C=0.1": _statuses(changed)})


def _statuses(results: Mapping[str, Any]) -> str:
    return " ".join(f"{name}={result.status}" for name, result in results.items())


def main(argv: list[str] | None = None) -> int:
    """Without arguments run the demo; with ``--workdir`` run the pipeline once (for CI)."""
    parser = argparse.ArgumentParser(
        description="churn training pipeline (run by the mini_dag teaching runner)"
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--registry", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--C", dest="c", type=float, default=1.0)
    parser.add_argument("--source", type=Path, default=DATA_PATH)
    parser.add_argument("--mlflow-uri", help="also track the run in MLflow, e.g. sqlite:///x.db")
    parser.add_argument(
        "--export-onnx", type=Path, help="after a successful run, write the model here as ONNX"
    )
    args = parser.parse_args(argv)
    if args.workdir is None:
        demo()
        return 0
    registry = args.registry or args.workdir / "registry"
    dag = build_dag(registry, args.seed, args.c, args.source, mlflow_uri=args.mlflow_uri)
    results = dag.run(args.workdir)
    failed = [name for name, r in results.items() if r.status in ("failed", "upstream_failed")]
    metrics_path = args.workdir / "evaluate" / "metrics.json"
    if metrics_path.exists():
        print(metrics_path.read_text(), end="")
    if failed:
        return 1
    if args.export_onnx:
        registered = json.loads((args.workdir / "register" / "registered.json").read_text())
        model = registry / "churn" / registered["version"] / "model.pkl"
        print(f"exported {export_onnx(model, args.export_onnx)} from {registered['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
