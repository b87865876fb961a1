"""Train the churn model and export it for the service.

Run from the repository root::

    uv run python training/train.py

What it does, deterministically (fixed seed, a couple of seconds):

1. reads ``data/train.csv`` (one row per customer, ``churn`` is ``Yes``/``No``);
2. holds out a stratified 20 % validation split;
3. fits OneHotEncoder (10 text features) + SimpleImputer(0) and StandardScaler (9 numeric
   features) + LogisticRegression on the rest;
4. writes ``model/model.json``: the fitted parameters as plain numbers, which is everything the
   service needs to score a customer without pandas or scikit-learn;
5. writes ``model/metrics.json``: the golden metrics of that model on the validation split, and
   two rates on the part it was fitted on: ``train_label_rate`` (share of churners among the
   labels) and ``train_flag_rate`` (share of those customers the model flags, probability >=
   threshold) — the baseline that monitoring compares live traffic with.

Nothing is pickled: the artefact is a small, reviewable, diffable JSON document.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parent.parent
DATA_PATH = ROOT / "data" / "train.csv"
MODEL_DIR = ROOT / "model"

MODEL_NAME = "churn-logreg"
MODEL_VERSION = "1.0.0"
ARTEFACT_FORMAT = "churn-logreg-json/1"
SEED = 42
VALID_FRACTION = 0.2
THRESHOLD = 0.5
TARGET = "churn"

# The categories are fixed by the service contract, not learned from the data, so the one-hot
# layout never depends on which values happen to occur in a sample.
CATEGORICAL: dict[str, list[str]] = {
    "multiple_lines": ["No", "No phone service", "Yes"],
    "internet_service": ["DSL", "Fiber optic", "No"],
    "online_security": ["No", "No internet service", "Yes"],
    "online_backup": ["No", "No internet service", "Yes"],
    "device_protection": ["No", "No internet service", "Yes"],
    "tech_support": ["No", "No internet service", "Yes"],
    "streaming_tv": ["No", "No internet service", "Yes"],
    "streaming_movies": ["No", "No internet service", "Yes"],
    "contract": ["Month-to-month", "One year", "Two year"],
    "payment_method": [
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ],
}
NUMERIC: list[str] = [
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
# The 19 model features in the contract's order (the columns of data/train.csv after the target).
FEATURES: list[str] = [
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "tenure",
    "phone_service",
    "multiple_lines",
    "internet_service",
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
    "contract",
    "paperless_billing",
    "payment_method",
    "monthly_charges",
    "total_charges",
]
IMPUTE_VALUE = 0.0  # total_charges is empty exactly when tenure is 0: nothing billed yet


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_data(path: Path = DATA_PATH) -> tuple[pd.DataFrame, pd.Series]:
    """The feature frame (the 19 model features, in the contract's order) and the 0/1 target."""
    frame = pd.read_csv(path, dtype=dict.fromkeys(CATEGORICAL, str), keep_default_na=False)
    frame["total_charges"] = pd.to_numeric(frame["total_charges"].replace("", np.nan))
    target = (frame[TARGET] == "Yes").astype(int)
    return frame[FEATURES], target


def build_pipeline() -> Pipeline:
    """The untrained pipeline: encode, impute, scale, classify."""
    encode = OneHotEncoder(
        categories=[CATEGORICAL[name] for name in CATEGORICAL],
        handle_unknown="error",
        sparse_output=False,
    )
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=IMPUTE_VALUE)),
            ("scale", StandardScaler()),
        ]
    )
    preprocess = ColumnTransformer(
        [("categorical", encode, list(CATEGORICAL)), ("numeric", numeric, NUMERIC)],
        remainder="drop",
    )
    classifier = LogisticRegression(max_iter=1000, random_state=SEED)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def split(
    features: pd.DataFrame, target: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Stratified train/validation split (fixed seed)."""
    return train_test_split(
        features, target, test_size=VALID_FRACTION, stratify=target, random_state=SEED
    )


def train(path: Path = DATA_PATH) -> tuple[Pipeline, dict[str, Any]]:
    """Fit the pipeline on the training part and evaluate it on the validation part."""
    features, target = load_data(path)
    x_train, x_valid, y_train, y_valid = split(features, target)
    pipeline = build_pipeline().fit(x_train, y_train)
    probability = pipeline.predict_proba(x_valid)[:, 1]
    train_probability = pipeline.predict_proba(x_train)[:, 1]
    metrics = {
        "model_name": MODEL_NAME,
        "model_version": MODEL_VERSION,
        "data_sha256": sha256_file(path),
        "n_train": len(x_train),
        "n_valid": len(x_valid),
        "seed": SEED,
        "threshold": THRESHOLD,
        "roc_auc": round(float(roc_auc_score(y_valid, probability)), 6),
        "accuracy": round(float(accuracy_score(y_valid, probability >= THRESHOLD)), 6),
        "train_label_rate": round(float(y_train.mean()), 6),
        "train_flag_rate": round(float((train_probability >= THRESHOLD).mean()), 6),
        "sklearn_version": sklearn.__version__,
    }
    return pipeline, metrics


def export_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    """The fitted parameters as plain JSON data (the service's model artefact).

    The feature vector the classifier sees is ``[one-hot columns..., scaled numeric columns...]``;
    ``index`` maps every (feature, category) to its column, ``numeric.offset`` is where the numeric
    columns start.
    """
    preprocess: ColumnTransformer = pipeline.named_steps["preprocess"]
    encoder: OneHotEncoder = preprocess.named_transformers_["categorical"]
    imputer: SimpleImputer = preprocess.named_transformers_["numeric"].named_steps["impute"]
    scaler: StandardScaler = preprocess.named_transformers_["numeric"].named_steps["scale"]
    classifier: LogisticRegression = pipeline.named_steps["classifier"]

    index: dict[str, dict[str, int]] = {}
    column = 0
    for name, categories in zip(CATEGORICAL, encoder.categories_, strict=True):
        index[name] = {}
        for category in categories:
            index[name][str(category)] = column
            column += 1
    return {
        "format": ARTEFACT_FORMAT,
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "threshold": THRESHOLD,
        "features": FEATURES,
        "categorical": {"index": index},
        "numeric": {
            "features": NUMERIC,
            "offset": column,
            "impute_value": [float(v) for v in imputer.statistics_],
            "mean": [float(v) for v in scaler.mean_],
            "scale": [float(v) for v in scaler.scale_],
        },
        "classifier": {
            "coef": [float(v) for v in classifier.coef_[0]],
            "intercept": float(classifier.intercept_[0]),
        },
        "feature_names_out": [str(v) for v in preprocess.get_feature_names_out()],
        "sklearn_version": sklearn.__version__,
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as stable, human-readable JSON (sorted keys would scramble the layout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Train, export and report."""
    parser = argparse.ArgumentParser(description="Train the churn model and export it.")
    parser.add_argument("--data", type=Path, default=DATA_PATH, help="training CSV")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="output directory")
    args = parser.parse_args(argv)

    pipeline, metrics = train(args.data)
    write_json(args.out / "model.json", export_pipeline(pipeline))
    write_json(args.out / "metrics.json", metrics)
    print(
        f"{MODEL_NAME} {MODEL_VERSION}: ROC-AUC {metrics['roc_auc']:.4f}, "
        f"accuracy {metrics['accuracy']:.4f} on {metrics['n_valid']} validation rows "
        f"(trained on {metrics['n_train']}); wrote {args.out}/model.json and metrics.json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
