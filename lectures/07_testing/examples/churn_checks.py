"""The churn model under test, plus the helpers that the behavioural test suite uses.

Everything a test needs lives here: loading the course data, a deterministic train/test
split, the scikit-learn pipeline, golden-metric evaluation and CheckList-style helpers
(minimum functionality, invariance, directional expectation).

Run it directly to see a small behavioural report:

    uv run python lectures/07_testing/examples/churn_checks.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
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

EXAMPLES_DIR = Path(__file__).resolve().parent
DATA_PATH = EXAMPLES_DIR.parents[2] / "data" / "train.csv"
GOLDEN_PATH = EXAMPLES_DIR / "golden_metrics.json"

TARGET = "churn"
ID_COLUMN = "customer_id"
NUMERIC_FEATURES = [
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
CATEGORICAL_FEATURES = [
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
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
CONTRACTS = ["Month-to-month", "One year", "Two year"]
SEED = 42
# Name of the environment variable that plants a deliberate bug, so the lecture can show
# which tests notice it. "id_feature" trains the model with the customer id as a feature.
BUG_ENV = "CHURN_CHECKS_BUG"


def load_data(path: Path = DATA_PATH) -> pd.DataFrame:
    """Read the course CSV and turn the integer ``row_id`` into a string ``customer_id``.

    The API contract calls the caller's identifier ``customer_id``; using the same name
    here lets the model tests and the API tests talk about the same column.
    """
    df = pd.read_csv(path)
    df.insert(0, ID_COLUMN, df.pop("row_id").map(lambda i: f"C{i:05d}"))
    return df


def split(df: pd.DataFrame, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified 80/20 train/test split with a fixed seed (the same rows on every run)."""
    train, test = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[TARGET])
    return train.reset_index(drop=True), test.reset_index(drop=True)


def build_pipeline(include_id: bool = False, seed: int = SEED) -> Pipeline:
    """One-hot + scaling + logistic regression.

    ``include_id=True`` reproduces a classic bug: the identifier column is left in the
    feature matrix, so the model memorises individual customers.
    """
    categorical = CATEGORICAL_FEATURES + ([ID_COLUMN] if include_id else [])
    numeric = make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler())
    pre = ColumnTransformer(
        [
            ("num", numeric, NUMERIC_FEATURES),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ],
        remainder="drop",
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000, random_state=seed))])


def train_model(train: pd.DataFrame, bug: str | None = None, seed: int = SEED) -> Pipeline:
    """Fit the pipeline on ``train``; ``bug`` may be ``"id_feature"`` (see ``BUG_ENV``)."""
    if bug not in (None, "", "id_feature"):
        raise ValueError(f"unknown bug {bug!r}")
    model = build_pipeline(include_id=bug == "id_feature", seed=seed)
    model.fit(train, (train[TARGET] == "Yes").astype(int))
    return model


def to_frame(customers: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Turn request-like dicts into the frame the pipeline expects (missing id -> "")."""
    frame = pd.DataFrame([dict(c) for c in customers])
    if ID_COLUMN not in frame:
        frame[ID_COLUMN] = ""
    frame[ID_COLUMN] = frame[ID_COLUMN].fillna("").astype(str)
    frame["total_charges"] = pd.to_numeric(frame["total_charges"], errors="coerce")
    return frame


def predict_proba(model: Pipeline, customers: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """Churn probabilities for a list of customer dicts."""
    return model.predict_proba(to_frame(customers))[:, 1]


def evaluate(model: Pipeline, test: pd.DataFrame) -> dict[str, float]:
    """Golden metrics on the held-out split, rounded so they can be stored and compared."""
    y = (test[TARGET] == "Yes").astype(int)
    proba = model.predict_proba(test)[:, 1]
    return {
        "roc_auc": round(float(roc_auc_score(y, proba)), 4),
        "accuracy": round(float(accuracy_score(y, proba >= 0.5)), 4),
    }


def load_golden(path: Path = GOLDEN_PATH) -> dict[str, float]:
    """The golden metrics recorded for the reference model (the model's 'passport')."""
    return json.loads(path.read_text())


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with only the id and the features (what a client would send)."""
    out = df[[ID_COLUMN, *FEATURES]].to_dict(orient="records")
    for row in out:
        if pd.isna(row["total_charges"]):
            row["total_charges"] = None
    return out


def loyal_customer() -> dict[str, Any]:
    """A textbook low-risk customer: long tenure, two-year contract, automatic payment."""
    return {
        "female": 0,
        "senior_citizen": 0,
        "partner": 1,
        "dependents": 1,
        "tenure": 70,
        "phone_service": 1,
        "multiple_lines": "Yes",
        "internet_service": "DSL",
        "online_security": "Yes",
        "online_backup": "Yes",
        "device_protection": "Yes",
        "tech_support": "Yes",
        "streaming_tv": "No",
        "streaming_movies": "No",
        "contract": "Two year",
        "paperless_billing": 0,
        "payment_method": "Bank transfer (automatic)",
        "monthly_charges": 65.0,
        "total_charges": 4550.0,
    }


def at_risk_customer() -> dict[str, Any]:
    """A textbook high-risk customer: new, month-to-month, fibre, electronic check."""
    return {
        "female": 1,
        "senior_citizen": 1,
        "partner": 0,
        "dependents": 0,
        "tenure": 2,
        "phone_service": 1,
        "multiple_lines": "No",
        "internet_service": "Fiber optic",
        "online_security": "No",
        "online_backup": "No",
        "device_protection": "No",
        "tech_support": "No",
        "streaming_tv": "Yes",
        "streaming_movies": "Yes",
        "contract": "Month-to-month",
        "paperless_billing": 1,
        "payment_method": "Electronic check",
        "monthly_charges": 95.0,
        "total_charges": 190.0,
    }


def perturb(customers: Iterable[Mapping[str, Any]], **changes: Any) -> list[dict[str, Any]]:
    """Copies of ``customers`` with ``changes`` applied: 'all else equal' in one call."""
    return [{**c, **changes} for c in customers]


def invariance_gap(model: Pipeline, customers: list[dict[str, Any]], **changes: Any) -> float:
    """Largest absolute change in probability caused by ``changes`` (0.0 = invariant)."""
    before = predict_proba(model, customers)
    after = predict_proba(model, perturb(customers, **changes))
    return float(np.max(np.abs(after - before)))


def directional_share(model: Pipeline, customers: list[dict[str, Any]], **changes: Any) -> float:
    """Share of customers whose churn probability strictly drops after ``changes``."""
    before = predict_proba(model, customers)
    after = predict_proba(model, perturb(customers, **changes))
    return float(np.mean(after < before))


def main() -> None:
    """Train the model and print golden metrics plus a CheckList-style behavioural report."""
    bug = os.environ.get(BUG_ENV) or None
    train, test = split(load_data())
    model = train_model(train, bug=bug)
    metrics = evaluate(model, test)
    golden = load_golden()
    print(f"model bug planted: {bug or 'none'}")
    print(
        f"golden metrics   : roc_auc={metrics['roc_auc']:.4f} (golden {golden['roc_auc']:.4f}), "
        f"accuracy={metrics['accuracy']:.4f} (golden {golden['accuracy']:.4f})"
    )

    loyal, risky = predict_proba(model, [loyal_customer(), at_risk_customer()])
    print(f"MFT loyal customer    : p(churn)={loyal:.3f}  (expect < 0.2)")
    print(f"MFT at-risk customer  : p(churn)={risky:.3f}  (expect > 0.5)")

    seen = records(train.head(200))
    gap = invariance_gap(model, seen, customer_id="C99999")
    print(f"INV customer_id       : max |change| = {gap:.6f} over {len(seen)} customers")
    gender_gap = invariance_gap(model, seen, female=1) if seen else 0.0
    print(f"INV female=1 (tol .02): max |change| = {gender_gap:.4f}")

    monthly = records(test[test["contract"] == "Month-to-month"].head(200))
    share = directional_share(model, monthly, contract="Two year")
    print(
        f"DIR Two year contract : p(churn) drops for {share:.0%} of {len(monthly)} "
        "month-to-month customers"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
