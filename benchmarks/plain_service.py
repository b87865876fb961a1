"""The "plain" hw1 service the benchmark compares against: the obvious, unoptimised implementation.

FastAPI + pydantic models of the contract + a scikit-learn pipeline trained from
``data/train.csv`` at start-up (fixed seed, well under a second), and every request scored by
building a one-row pandas DataFrame and calling ``predict_proba``. This is what a correct,
straightforward submission looks like; the reference solution should beat it by a wide margin.

Run: ``uvicorn plain_service:app --app-dir benchmarks`` from the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TRAIN_CSV = Path(
    os.environ.get("PLAIN_TRAIN_CSV", Path(__file__).resolve().parents[1] / "data" / "train.csv")
)
VERSION = "plain-1"

Flag = Literal[0, 1]
InternetAddOn = Literal["No", "No internet service", "Yes"]


class Customer(BaseModel):
    """One customer (the contract's Customer)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    female: Flag
    senior_citizen: Flag
    partner: Flag
    dependents: Flag
    tenure: int = Field(ge=0, le=120)
    phone_service: Flag
    multiple_lines: Literal["No", "No phone service", "Yes"]
    internet_service: Literal["DSL", "Fiber optic", "No"]
    online_security: InternetAddOn
    online_backup: InternetAddOn
    device_protection: InternetAddOn
    tech_support: InternetAddOn
    streaming_tv: InternetAddOn
    streaming_movies: InternetAddOn
    contract: Literal["Month-to-month", "One year", "Two year"]
    paperless_billing: Flag
    payment_method: Literal[
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ]
    monthly_charges: float = Field(ge=0, le=1000)
    total_charges: float | None = Field(ge=0, le=200_000)


class BatchRequest(BaseModel):
    """Up to 1000 customers."""

    model_config = ConfigDict(extra="forbid")

    customers: list[Customer] = Field(min_length=1, max_length=1000)


FEATURES = [name for name in Customer.model_fields if name != "customer_id"]


def train() -> Pipeline:
    """Fit OneHotEncoder + imputer/StandardScaler + LogisticRegression on the train split."""
    frame = pd.read_csv(TRAIN_CSV)
    y = (frame["churn"] == "Yes").astype(int)
    x = frame[FEATURES]
    categorical = [
        c for c in FEATURES if x[c].dtype == object or pd.api.types.is_string_dtype(x[c])
    ]
    numeric = [c for c in FEATURES if c not in categorical]
    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            (
                "num",
                Pipeline(
                    [
                        ("fill", SimpleImputer(strategy="constant", fill_value=0.0)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            ),
        ]
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000, random_state=0))])
    return model.fit(x, y)


MODEL = train()
app = FastAPI(title="plain churn service (benchmark baseline)")


def score(customer: Customer) -> dict:
    """One customer through the pipeline via a one-row DataFrame (the slow, obvious path)."""
    row = pd.DataFrame([customer.model_dump(exclude={"customer_id"})])[FEATURES]
    row["total_charges"] = row["total_charges"].astype(float)
    probability = float(MODEL.predict_proba(row)[0, 1])
    return {
        "customer_id": customer.customer_id,
        "churn": probability >= 0.5,
        "churn_probability": probability,
        "model_version": VERSION,
    }


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/predict")
def predict(customer: Customer) -> dict:
    return score(customer)


@app.post("/predict/batch")
def predict_batch(batch: BatchRequest) -> dict:
    return {"predictions": [score(c) for c in batch.customers], "model_version": VERSION}
