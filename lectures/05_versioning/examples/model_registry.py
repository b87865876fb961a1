"""A minimal file-based model registry with lineage, golden-metric gates and rollback.

Layout on disk (everything is plain files, so it could live on a shared disk or in S3):

    registry/
      churn/
        v1/model.pkl  v1/meta.json     # artefact + lineage: code commit, data hash, params, metrics
        v2/...
        stages.json                    # which version is in Staging / Production / Archived
        events.jsonl                   # append-only audit log of every registration and move

Promotion to Production is refused unless the candidate meets the golden metrics on the golden
dataset. Rollback puts the previous Production version back. Loading verifies the artefact's
SHA-256 before unpickling it: never unpickle bytes you cannot vouch for.

Run: uv run python lectures/05_versioning/examples/model_registry.py
"""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA = REPO_ROOT / "data" / "train.csv"
NUMERIC = [
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "phone_service",
    "paperless_billing",
    "tenure",
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
GOLDEN_METRICS = {"roc_auc": 0.80, "accuracy": 0.75}  # floors a Production model must meet
COLS_V2 = ["female", "senior_citizen"]  # a deliberately weak candidate


class PromotionRefused(RuntimeError):
    """The candidate does not meet the golden metrics."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_commit(repo: Path = REPO_ROOT) -> str:
    """The git commit of the code that trains the model, or "unknown" outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


@dataclass
class ModelRegistry:
    """Versions, stages and lineage of named models, stored under `root`."""

    root: Path

    def _dir(self, name: str) -> Path:
        return self.root / name

    def stages(self, name: str) -> dict[str, Any]:
        """Current stage assignments (and the Production history used for rollback)."""
        path = self._dir(name) / "stages.json"
        if not path.exists():
            return {"Production": None, "Staging": None, "Archived": [], "previous_production": []}
        return json.loads(path.read_text())

    def _save_stages(self, name: str, stages: dict[str, Any]) -> None:
        (self._dir(name) / "stages.json").write_text(json.dumps(stages, indent=2))

    def _log(self, name: str, event: str, **fields: Any) -> None:
        with (self._dir(name) / "events.jsonl").open("a") as log:
            log.write(json.dumps({"event": event, **fields}) + "\n")

    def versions(self, name: str) -> list[int]:
        """All registered version numbers of `name`, ascending."""
        folder = self._dir(name)
        if not folder.exists():
            return []
        return sorted(int(p.name[1:]) for p in folder.glob("v*") if p.is_dir())

    def register(self, name: str, model: Any, lineage: dict[str, Any]) -> int:
        """Store a new immutable version with its lineage; it starts in Staging."""
        version = (self.versions(name) or [0])[-1] + 1
        folder = self._dir(name) / f"v{version}"
        folder.mkdir(parents=True)
        (folder / "model.pkl").write_bytes(pickle.dumps(model))
        meta = {
            "name": name,
            "version": version,
            **lineage,
            "artefact_sha256": sha256_file(folder / "model.pkl"),
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        stages = self.stages(name)
        stages["Staging"] = version
        self._save_stages(name, stages)
        self._log(name, "registered", version=version, metrics=lineage["metrics"])
        return version

    def meta(self, name: str, version: int) -> dict[str, Any]:
        """The lineage record of one version."""
        return json.loads((self._dir(name) / f"v{version}" / "meta.json").read_text())

    def stage_of(self, name: str, stage: str) -> int | None:
        """Version currently in Staging or Production (None if empty)."""
        return self.stages(name)[stage]

    def promote(self, name: str, version: int, golden: dict[str, float]) -> None:
        """Move `version` to Production if every golden metric floor is met; archive the old one."""
        metrics = self.meta(name, version)["metrics"]
        failed = {k: metrics.get(k) for k, floor in golden.items() if metrics.get(k, -1) < floor}
        if failed:
            self._log(name, "promotion_refused", version=version, failed=failed)
            raise PromotionRefused(f"{name} v{version} misses golden metrics: {failed}")
        stages = self.stages(name)
        current = stages["Production"]
        if current is not None:
            stages["Archived"].append(current)
            stages["previous_production"].append(current)
        stages["Production"] = version
        if stages["Staging"] == version:
            stages["Staging"] = None
        stages["Archived"] = [v for v in stages["Archived"] if v != version]
        self._save_stages(name, stages)
        self._log(name, "promoted", version=version, replaced=current)

    def rollback(self, name: str) -> int:
        """Put the previous Production version back; the rolled-back one is archived."""
        stages = self.stages(name)
        if not stages["previous_production"]:
            raise RuntimeError(f"{name} has no earlier Production version to roll back to")
        restored = stages["previous_production"].pop()
        bad = stages["Production"]
        stages["Archived"] = [v for v in stages["Archived"] if v != restored] + [bad]
        stages["Production"] = restored
        self._save_stages(name, stages)
        self._log(name, "rolled_back", version=restored, replaced=bad)
        return restored

    def load(self, name: str, stage: str = "Production") -> tuple[Any, dict[str, Any]]:
        """Load the model in `stage` after checking its bytes against the recorded SHA-256."""
        version = self.stage_of(name, stage)
        if version is None:
            raise LookupError(f"no {name} model in {stage}")
        meta = self.meta(name, version)
        artefact = self._dir(name) / f"v{version}" / "model.pkl"
        if sha256_file(artefact) != meta["artefact_sha256"]:
            raise RuntimeError(f"{artefact} was modified after registration")
        return pickle.loads(artefact.read_bytes()), meta

    def events(self, name: str) -> list[dict[str, Any]]:
        """The audit log, oldest first."""
        lines = (self._dir(name) / "events.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]


def load_split() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Training data and a fixed golden evaluation slice (20%, seed 42)."""
    frame = pd.read_csv(DATA)
    x = frame[NUMERIC + CATEGORICAL].astype(dict.fromkeys(NUMERIC, float))
    y = (frame["churn"] == "Yes").astype(int)
    return train_test_split(x, y, test_size=0.2, random_state=42, stratify=y)


def train(x: pd.DataFrame, y: pd.Series, c: float, columns: list[str] | None = None) -> Pipeline:
    """Fit the churn pipeline with regularisation strength `c`, optionally on fewer columns."""
    numeric = [col for col in NUMERIC if columns is None or col in columns]
    categorical = [col for col in CATEGORICAL if columns is None or col in columns]
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(fill_value=0.0, strategy="constant"), StandardScaler()),
                numeric,
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(C=c, max_iter=1000))])
    return model.fit(x, y)


def evaluate(model: Pipeline, x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Golden metrics of `model` on the golden slice."""
    probabilities = model.predict_proba(x)[:, 1]
    return {
        "roc_auc": round(float(roc_auc_score(y, probabilities)), 4),
        "accuracy": round(float(accuracy_score(y, probabilities >= 0.5)), 4),
    }


def lineage(model: Pipeline, params: dict[str, Any], metrics: dict[str, float]) -> dict[str, Any]:
    """Everything needed to reproduce and audit a model version."""
    return {
        "code_commit": code_commit(),
        "data_path": "data/train.csv",
        "data_sha256": sha256_file(DATA),
        "params": params,
        "metrics": metrics,
        "sklearn_pipeline": [step for step, _ in model.steps],
    }


def run_story(root: Path) -> dict[str, Any]:
    """Register three candidates, gate them on golden metrics, then roll back after an incident."""
    registry = ModelRegistry(root)
    x_train, x_gold, y_train, y_gold = load_split()
    outcome: dict[str, Any] = {"refused": []}

    candidates = [
        ("baseline, all features", {"C": 1.0}, None),
        ("gender and age flag only", {"C": 1.0, "columns": COLS_V2}, COLS_V2),
        ("weaker regularisation", {"C": 10.0}, None),
    ]
    for label, params, columns in candidates:
        model = train(x_train, y_train, params["C"], columns)
        metrics = evaluate(model, x_gold, y_gold)
        version = registry.register("churn", model, lineage(model, params, metrics))
        try:
            registry.promote("churn", version, GOLDEN_METRICS)
        except PromotionRefused:
            outcome["refused"].append(version)
        outcome[f"v{version}"] = {"label": label, **metrics}

    outcome["production_before_rollback"] = registry.stage_of("churn", "Production")
    outcome["rolled_back_to"] = registry.rollback("churn")  # an incident with v3 in production
    model, meta = registry.load("churn")
    outcome["production_after_rollback"] = meta["version"]
    outcome["loaded_auc"] = evaluate(model, x_gold, y_gold)["roc_auc"]
    outcome["recorded_auc"] = meta["metrics"]["roc_auc"]
    outcome["meta"] = meta
    outcome["stages"] = registry.stages("churn")
    outcome["events"] = [e["event"] for e in registry.events("churn")]

    artefact = root / "churn" / f"v{meta['version']}" / "model.pkl"
    artefact.write_bytes(artefact.read_bytes() + b"tampered")
    try:
        registry.load("churn")
        outcome["tamper_detected"] = False
    except RuntimeError:
        outcome["tamper_detected"] = True
    outcome["probabilities_finite"] = bool(np.isfinite(model.predict_proba(x_gold)).all())
    return outcome


def main() -> None:
    """Tell the registry story in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        result = run_story(Path(tmp))
    for version in ("v1", "v2", "v3"):
        info = result[version]
        print(
            f"{version}: {info['label']:<24} roc_auc={info['roc_auc']:.4f} accuracy={info['accuracy']:.4f}"
        )
    print(f"golden floors {GOLDEN_METRICS}; refused: {['v' + str(v) for v in result['refused']]}")
    print(f"Production before the incident: v{result['production_before_rollback']}")
    print(f"rollback -> Production is v{result['production_after_rollback']}")
    print(f"stages: {result['stages']}")
    print(f"reloaded model roc_auc={result['loaded_auc']} (recorded {result['recorded_auc']})")
    meta = result["meta"]
    print(
        f"lineage of v{meta['version']}: commit={meta['code_commit'][:12]} data_sha256={meta['data_sha256'][:12]} params={meta['params']}"
    )
    print(f"audit log: {' -> '.join(result['events'])}")
    print(f"tampered artefact detected on load: {result['tamper_detected']}")


if __name__ == "__main__":
    main()
