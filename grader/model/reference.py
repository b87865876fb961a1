"""The reference model: the course's plain scikit-learn pipeline on the train split (fixed seed).

The calibration service serves it; the model-quality checks compare a submission's probabilities
with it. Training takes about a tenth of a second, so it is fitted where it is needed, never shipped.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

from grader.checks.holdout import row_to_customer

TRAIN_CSV = Path(__file__).resolve().parents[1] / "calibration" / "train.csv"


def train_rows() -> list[dict[str, Any]]:
    """The train split as contract customers plus their ``churn`` label (0/1)."""
    with TRAIN_CSV.open(newline="") as handle:
        return [
            {**row_to_customer(raw), "churn": int(raw["churn"] == "Yes")}
            for raw in csv.DictReader(handle)
        ]


def fit_pipeline(frame: Any, labels: Any, classifier: Any | None = None) -> Any:
    """One-hot categoricals, zero-imputed and scaled numerics, then ``classifier`` (default: LR)."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    numeric = [c for c in frame.columns if c not in categorical]
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            (
                "num",
                make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler()),
                numeric,
            ),
        ]
    )
    if classifier is None:
        classifier = LogisticRegression(max_iter=1000, random_state=0)
    return make_pipeline(pre, classifier).fit(frame, labels)


def to_frame(customers: list[dict[str, Any]]) -> Any:
    """Customers as a DataFrame of the features (``customer_id`` and labels dropped)."""
    import pandas as pd

    frame = pd.DataFrame(customers).drop(columns=["customer_id", "churn"], errors="ignore")
    frame["total_charges"] = frame["total_charges"].astype(float)
    return frame


@cache
def reference_pipeline() -> Any:
    """The reference pipeline, fitted once per process."""
    rows = train_rows()
    return fit_pipeline(to_frame(rows), [r["churn"] for r in rows])


def reference_probabilities(customers: list[dict[str, Any]]) -> list[float]:
    """The reference model's churn probabilities for ``customers``."""
    return [float(p) for p in reference_pipeline().predict_proba(to_frame(customers))[:, 1]]
