"""The churn model that the lecture 11 stream examples score with: data path, features, pipeline.

Shared by `async_scoring.py` and `tumbling_window.py` (`from scoring_model import ...`). Numeric
columns are imputed with 0 (a missing total_charges means zero tenure) and standardised, the 0/1
flags pass through, categorical columns are one-hot encoded (unknown categories ignored), then a
logistic regression.

Not an example to run on its own. (The name differs from the other lectures' shared modules on
purpose: the tests import every lecture's examples into one Python process.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DATA_PATH = Path(__file__).resolve().parents[3] / "data" / "train.csv"

NUMERIC = ["tenure", "monthly_charges", "total_charges"]
BINARY = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
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
FEATURES = BINARY + NUMERIC + CATEGORICAL


def train_model(df: pd.DataFrame) -> Pipeline:
    """Fit the course's churn pipeline (one-hot + scaling + logistic regression) on ``df``."""
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler()),
                NUMERIC,
            ),
            ("bin", "passthrough", BINARY),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    model.fit(df[FEATURES], (df["churn"] == "Yes").astype(int))
    return model
