"""The model-registry story of `model_registry.py`, told with MLflow on a local SQLite store.

Same three candidates, same golden metrics, same incident. What MLflow adds is the vocabulary
most teams use: every training is a *run* with parameters, metrics, tags and artefacts; a
*registered model* (`churn`) has numbered *versions*, each pointing at the run that produced it;
and an *alias* (`champion`) names the version that serves. Promotion and rollback move the alias,
never the bytes. Nothing here needs a server: the tracking and registry store is one SQLite file,
the artefacts a folder next to it.

Run: uv run python lectures/05_versioning/examples/mlflow_registry.py
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
MODEL = "churn"


def _sibling(name: str) -> ModuleType:
    """Import ``name``.py from this folder by path."""
    key = f"lecture05_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


files = _sibling("model_registry")  # training, evaluation and lineage are shared


def meets(metrics: dict[str, float], golden: dict[str, float]) -> dict[str, float]:
    """The golden metrics a candidate misses (empty when it may be promoted)."""
    return {k: metrics.get(k, -1.0) for k, floor in golden.items() if metrics.get(k, -1.0) < floor}


def run_story(root: Path) -> dict[str, Any]:
    """Train and log three candidates, promote by alias behind the golden gate, roll back."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    artifacts = (root / "mlartifacts").resolve().as_uri()  # not MLflow's default ./mlruns
    mlflow.create_experiment("churn-registry-story", artifact_location=artifacts)
    experiment = mlflow.set_experiment("churn-registry-story")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(MODEL, description="Telco churn, logistic regression")

    x_train, x_gold, y_train, y_gold = files.load_split()
    outcome: dict[str, Any] = {"refused": [], "champions": []}
    candidates = [
        ("baseline, all features", {"C": 1.0}, None),
        ("gender and age flag only", {"C": 1.0, "columns": files.COLS_V2}, files.COLS_V2),
        ("weaker regularisation", {"C": 10.0}, None),
    ]
    for label, params, columns in candidates:
        model = files.train(x_train, y_train, params["C"], columns)
        metrics = files.evaluate(model, x_gold, y_gold)
        record = files.lineage(model, params, metrics)
        artefact = root / "staging" / "model.pkl"
        artefact.parent.mkdir(exist_ok=True)
        artefact.write_bytes(pickle.dumps(model))
        sha256 = hashlib.sha256(artefact.read_bytes()).hexdigest()
        with mlflow.start_run(run_name=label) as run:
            mlflow.log_params({"C": params["C"], "columns": ",".join(columns or ["all"])})
            mlflow.log_metrics(metrics)
            mlflow.set_tags(
                {
                    "code_commit": record["code_commit"],
                    "data_sha256": record["data_sha256"],
                    "artefact_sha256": sha256,
                }
            )
            mlflow.log_artifact(str(artefact), artifact_path="model")
        version = client.create_model_version(
            MODEL, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id, tags={"label": label}
        )
        number = int(version.version)
        outcome[f"v{number}"] = {"label": label, **metrics}
        missed = meets(metrics, files.GOLDEN_METRICS)
        if missed:
            client.set_model_version_tag(MODEL, version.version, "promotion", "refused")
            outcome["refused"].append(number)
            continue
        client.set_model_version_tag(MODEL, version.version, "promotion", "passed")
        client.set_registered_model_alias(MODEL, "champion", version.version)
        outcome["champions"].append(number)

    outcome["champion_before_rollback"] = int(
        client.get_model_version_by_alias(MODEL, "champion").version
    )
    # The incident: go back to the previous champion. Moving the alias is the whole rollback.
    previous = outcome["champions"][-2]
    client.set_registered_model_alias(MODEL, "champion", str(previous))
    champion = client.get_model_version_by_alias(MODEL, "champion")
    outcome["champion_after_rollback"] = int(champion.version)

    local = Path(download_artifacts(artifact_uri=f"models:/{MODEL}@champion", dst_path=str(root)))
    artefact = next(local.rglob("model.pkl"))
    run = client.get_run(champion.run_id)
    if hashlib.sha256(artefact.read_bytes()).hexdigest() != run.data.tags["artefact_sha256"]:
        raise RuntimeError(f"{artefact} does not match the checksum recorded at registration")
    model = pickle.loads(artefact.read_bytes())
    outcome["loaded_auc"] = files.evaluate(model, x_gold, y_gold)["roc_auc"]
    outcome["recorded_auc"] = run.data.metrics["roc_auc"]
    outcome["champion_run"] = {"params": run.data.params, "tags": run.data.tags}
    outcome["runs"] = len(client.search_runs([experiment.experiment_id]))
    versions = client.search_model_versions(f"name='{MODEL}'")
    outcome["versions"] = {int(v.version): v.tags.get("promotion") for v in versions}
    outcome["versions"] = dict(sorted(outcome["versions"].items()))
    return outcome


def main() -> None:
    """Tell the story in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        result = run_story(Path(tmp))
    for version in ("v1", "v2", "v3"):
        info = result[version]
        print(f"{version}: {info['label']:<24} roc_auc={info['roc_auc']:.4f}")
    print(f"promotion per version: {result['versions']}")
    print(f"champion before the incident: v{result['champion_before_rollback']}")
    print(f"rollback -> champion is v{result['champion_after_rollback']}")
    print(f"models:/churn@champion reloaded: roc_auc={result['loaded_auc']}")
    print(f"runs in the experiment: {result['runs']}")


if __name__ == "__main__":
    main()
