"""The churn model that every lecture 4 example serves: data, feature columns and pipeline.

Shared by the other files in this folder (`from churn_model import ...`), so each example shows
only its own serving idea. The pipeline is the course's reference: numeric columns imputed with 0
(a missing total_charges means zero tenure) and standardised, categorical columns one-hot encoded
(unknown categories ignored), then a logistic regression.

Not an example to run on its own. (The other lectures' shared modules have other names on
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

DATA = Path(__file__).resolve().parents[3] / "data" / "train.csv"
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
FEATURES = NUMERIC + CATEGORICAL


def load_data() -> tuple[pd.DataFrame, pd.Series]:
    """Return the course training features and a 0/1 churn target."""
    frame = pd.read_csv(DATA)
    return frame[FEATURES], (frame["churn"] == "Yes").astype(int)


def train_pipeline(x: pd.DataFrame, y: pd.Series) -> Pipeline:
    """Fit the reference churn pipeline (missing total_charges means zero tenure, so fill 0)."""
    numeric = make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler())
    pre = ColumnTransformer(
        [
            ("num", numeric, NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    return model.fit(x, y)


def train_from_csv() -> Pipeline:
    """Fit the pipeline on data/train.csv (the examples' stand-in for loading a saved artefact)."""
    return train_pipeline(*load_data())
