"""Train the churn model and export it as plain JSON for the service.

Run from the repository root: ``python training/train.py``. Deterministic (fixed seed, no
randomness in the solver): running it twice writes byte-identical ``model/model.json`` and
``model/metrics.json``.

The model is scikit-learn's ``StandardScaler + OneHotEncoder -> LogisticRegression``. The
service never loads scikit-learn: a logistic regression is a dot product, so the fitted scaler
means/scales, one coefficient per category and the intercept are written to ``model.json`` and
``app/model.py`` evaluates them in pure Python. Before writing, the script checks that this
exported form reproduces scikit-learn's probabilities on every training row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

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

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "train.csv"
MODEL_DIR = ROOT / "model"
CONTRACT = ROOT / "app" / "contract.json"

SEED = 42
VALIDATION_SHARE = 0.2
MODEL_NAME = "telco-churn-logreg"
# total_charges is missing exactly for customers with zero tenure: they have been billed nothing.
TOTAL_CHARGES_FILL = 0.0
DECIMALS = 12  # exported parameters are rounded so the artefact is stable across platforms


def feature_lists() -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature names, in the contract's order."""
    customer = json.loads(CONTRACT.read_text())["$defs"]["Customer"]
    numeric = [n for n in customer["required"] if customer["properties"][n]["type"] != "string"]
    categorical = [n for n in customer["required"] if customer["properties"][n]["type"] == "string"]
    return numeric, categorical


def build_pipeline(numeric: list[str], categorical: list[str]) -> Pipeline:
    """The scikit-learn pipeline; every step has a closed form the service can evaluate."""
    prep = ColumnTransformer(
        [
            (
                "num",
                Pipeline(
                    [
                        ("fill", SimpleImputer(strategy="constant", fill_value=TOTAL_CHARGES_FILL)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(C=1.0, max_iter=2000))])


def export(pipe: Pipeline, numeric: list[str], categorical: list[str]) -> dict:
    """The fitted pipeline as plain JSON-ready parameters."""
    prep = pipe.named_steps["prep"]
    clf = pipe.named_steps["clf"]
    scaler = prep.named_transformers_["num"].named_steps["scale"]
    encoder = prep.named_transformers_["cat"]
    coef = clf.coef_[0]
    params: dict = {"intercept": round(float(clf.intercept_[0]), DECIMALS), "numeric": {}}
    for i, name in enumerate(numeric):
        params["numeric"][name] = {
            "mean": round(float(scaler.mean_[i]), DECIMALS),
            "scale": round(float(scaler.scale_[i]), DECIMALS),
            "coef": round(float(coef[i]), DECIMALS),
            "fill": TOTAL_CHARGES_FILL,
        }
    params["categorical"] = {}
    offset = len(numeric)
    for name, cats in zip(categorical, encoder.categories_, strict=True):
        params["categorical"][name] = {
            str(cat): round(float(coef[offset + j]), DECIMALS) for j, cat in enumerate(cats)
        }
        offset += len(cats)
    return params


def exported_proba(params: dict, frame: pd.DataFrame) -> np.ndarray:
    """Evaluate the exported parameters the way the service does (vectorised here)."""
    z = np.full(len(frame), params["intercept"])
    for name, p in params["numeric"].items():
        x = frame[name].astype(float).fillna(p["fill"]).to_numpy()
        z += p["coef"] * (x - p["mean"]) / p["scale"]
    for name, table in params["categorical"].items():
        z += frame[name].map(table).fillna(0.0).to_numpy()
    return 1.0 / (1.0 + np.exp(-z))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)

    raw = args.data.read_bytes()
    frame = pd.read_csv(args.data)
    numeric, categorical = feature_lists()
    features = numeric + categorical
    y = (frame["churn"] == "Yes").astype(int).to_numpy()
    x = frame[features]

    # Golden metrics: fit on a stratified 80 %, score on the remaining 20 % of the train file.
    x_fit, x_val, y_fit, y_val = train_test_split(
        x, y, test_size=VALIDATION_SHARE, random_state=SEED, stratify=y
    )
    probe = build_pipeline(numeric, categorical).fit(x_fit, y_fit)
    val_proba = probe.predict_proba(x_val)[:, 1]
    roc_auc = float(roc_auc_score(y_val, val_proba))
    accuracy = float(accuracy_score(y_val, val_proba >= 0.5))

    # The served model is refitted on every training row.
    pipe = build_pipeline(numeric, categorical).fit(x, y)
    params = export(pipe, numeric, categorical)
    fit_proba = pipe.predict_proba(x)[:, 1]
    drift = float(np.max(np.abs(exported_proba(params, x) - fit_proba)))
    if not math.isfinite(drift) or drift > 1e-8:
        print(f"exported parameters disagree with scikit-learn (max |diff| {drift:.2e})")
        return 1

    canonical = json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
    version = "1.0.0+" + hashlib.sha256(canonical).hexdigest()[:12]
    model = {
        "name": MODEL_NAME,
        "version": version,
        "threshold": 0.5,
        "features": features,
        **params,
    }
    metrics = {
        "model_name": MODEL_NAME,
        "model_version": version,
        "data_sha256": hashlib.sha256(raw).hexdigest(),
        "n_rows": len(frame),
        "n_fit": len(x_fit),
        "n_validation": len(x_val),
        "positive_rate": round(float(y.mean()), 6),
        # The served model is fitted on every row, so its training labels and customers are all
        # of them: the share of churners, and the share the model flags (probability >= 0.5).
        "train_label_rate": round(float(y.mean()), 6),
        "train_flag_rate": round(float((fit_proba >= 0.5).mean()), 6),
        "roc_auc": round(roc_auc, 6),
        "accuracy": round(accuracy, 6),
        "validation": f"stratified {VALIDATION_SHARE:.0%} of data/train.csv, seed {SEED}",
        "seed": SEED,
        "scikit_learn": sklearn.__version__,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.json").write_text(json.dumps(model, indent=2) + "\n")
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"{MODEL_NAME} {version}: ROC-AUC {roc_auc:.4f}, accuracy {accuracy:.4f} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
