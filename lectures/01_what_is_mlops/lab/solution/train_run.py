"""A reproducible training run that leaves a record: metrics.json and a model card.

Usage::

    uv run python train_run.py --data data/train.csv --seed 42 --out runs/seed42

Two runs with the same data and seed write identical metrics; the record names the data by its
SHA-256, so a reader can tell whether a new run used the same data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from importlib import metadata
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
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    frame = pd.read_csv(data)
    frame = frame.sample(frac=SAMPLE_FRACTION, random_state=seed)
    labels = (frame[TARGET] == "Yes").astype(int)
    train_x, test_x, train_y, test_y = train_test_split(
        frame[CATEGORICAL + NUMERIC],
        labels,
        test_size=TEST_FRACTION,
        stratify=labels,
        random_state=seed,
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
    result = train_and_score(data, seed)
    environment = {"python": platform.python_version()}
    environment.update({name: metadata.version(name) for name in TRACKED_PACKAGES})
    return {
        "seed": seed,
        "data": {"path": data.name, "sha256": sha256_file(data)},
        "rows": result["rows"],
        "metrics": result["metrics"],
        "environment": environment,
    }


def model_card(record: dict[str, Any]) -> str:
    """A short Markdown model card built from the run record."""
    metrics = record["metrics"]
    rows = record["rows"]
    versions = ", ".join(f"{name} {version}" for name, version in record["environment"].items())
    return "\n".join(
        [
            "# Model card: churn logistic regression",
            "",
            "## Intended use",
            "",
            "Rank customers by churn risk for retention offers. Not for pricing or credit decisions.",
            "",
            "## Data",
            "",
            f"- file: `{record['data']['path']}`",
            f"- sha256: `{record['data']['sha256']}`",
            f"- rows: {rows['train']} train, {rows['test']} test",
            "",
            "## Metrics",
            "",
            "| Metric | Value |",
            "|---|---:|",
            f"| ROC-AUC | {metrics['roc_auc']:.4f} |",
            f"| Accuracy | {metrics['accuracy']:.4f} |",
            "",
            "## Reproduce",
            "",
            "```bash",
            f"uv run python train_run.py --data {record['data']['path']} --seed {record['seed']}",
            "```",
            "",
            f"Environment: {versions}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: train, then write ``metrics.json`` and ``MODEL_CARD.md`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("run"))
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: data file not found: {args.data}", file=sys.stderr)
        return 2
    record = run_record(args.data, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (args.out / "MODEL_CARD.md").write_text(model_card(record), encoding="utf-8")
    print(f"roc_auc={record['metrics']['roc_auc']:.4f} written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
