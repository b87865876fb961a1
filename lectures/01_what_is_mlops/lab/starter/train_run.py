"""A reproducible training run that leaves a record: metrics.json and a model card.

Usage::

    uv run python train_run.py --data data/train.csv --seed 42 --out runs/seed42

Two runs with the same data and seed write identical metrics; the record names the data by its
SHA-256, so a reader can tell whether a new run used the same data.

Lab starter: look for the TODOs. The training code runs but is not reproducible yet.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA = REPO_ROOT / "data" / "train.csv"
TARGET = "churn"
CATEGORICAL = ["internet_service", "contract", "payment_method", "tech_support"]
NUMERIC = ["senior_citizen", "tenure", "monthly_charges", "total_charges"]
TEST_FRACTION = 0.25
# Share of the rows kept for training: a stand-in for a "quick experiment" sample.
SAMPLE_FRACTION = 0.8
TRACKED_PACKAGES = ("numpy", "pandas", "scikit-learn")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file's bytes: the data's fingerprint."""
    # TODO: return the hex digest of the file's bytes (hashlib.sha256).
    raise NotImplementedError("sha256_file")


def build_pipeline(seed: int) -> Pipeline:
    """One-hot + scaling + logistic regression."""
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
        ]
    )
    return make_pipeline(features, LogisticRegression(max_iter=1000, random_state=seed))


def train_and_score(data: Path, seed: int) -> dict[str, Any]:
    """Sample, split, fit and score; every random step uses ``seed``."""
    # TODO: two runs with the same seed give different metrics. Find every random step below
    # and make it use ``seed``.
    frame = pd.read_csv(data)
    frame = frame.sample(frac=SAMPLE_FRACTION)
    labels = (frame[TARGET] == "Yes").astype(int)
    train_x, test_x, train_y, test_y = train_test_split(
        frame[CATEGORICAL + NUMERIC],
        labels,
        test_size=TEST_FRACTION,
        stratify=labels,
    )
    model = build_pipeline(seed).fit(train_x, train_y)
    probabilities = model.predict_proba(test_x)[:, 1]
    return {
        "rows": {"train": len(train_x), "test": len(test_x)},
        "metrics": {
            "roc_auc": round(float(roc_auc_score(test_y, probabilities)), 6),
            "accuracy": round(float(accuracy_score(test_y, probabilities >= 0.5)), 6),
        },
    }


def run_record(data: Path, seed: int) -> dict[str, Any]:
    """Everything needed to compare or repeat the run: seed, data hash, sizes, metrics, versions."""
    # TODO: return {"seed": ..., "data": {"path": <file name>, "sha256": ...}, "rows": ...,
    # "metrics": ..., "environment": {"python": ..., <each TRACKED_PACKAGES name>: version}}.
    # platform.python_version() and importlib.metadata.version(name) give the versions.
    raise NotImplementedError("run_record")


def model_card(record: dict[str, Any]) -> str:
    """A short Markdown model card built from the run record."""
    # TODO: sections "## Intended use", "## Data" (file, sha256, rows), "## Metrics" (ROC-AUC and
    # accuracy with 4 decimals) and "## Reproduce" (the command with --data and --seed).
    raise NotImplementedError("model_card")


def main(argv: list[str] | None = None) -> int:
    """Command line: train, then write ``metrics.json`` and ``MODEL_CARD.md`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("run"))
    args = parser.parse_args(argv)
    # TODO: a missing data file must print one line "error: ..." to stderr and return 2.
    record = run_record(args.data, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (args.out / "MODEL_CARD.md").write_text(model_card(record), encoding="utf-8")
    print(f"roc_auc={record['metrics']['roc_auc']:.4f} written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
