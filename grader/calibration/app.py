"""A plain FastAPI churn service: scikit-learn pipeline fed a one-row DataFrame per request.

Deliberately unoptimised (this is what a straightforward correct submission looks like); trained at
start-up from the course's train split shipped beside this file (~0.1 s, fixed seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TRAIN_CSV = Path(__file__).with_name("train.csv")
VERSION = "calibration-1"
YesNoInet = Literal["No", "No internet service", "Yes"]
Flag = Literal[0, 1]


class Customer(BaseModel):
    """The contract's customer."""

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
    online_security: YesNoInet
    online_backup: YesNoInet
    device_protection: YesNoInet
    tech_support: YesNoInet
    streaming_tv: YesNoInet
    streaming_movies: YesNoInet
    contract: Literal["Month-to-month", "One year", "Two year"]
    paperless_billing: Flag
    payment_method: Literal[
        "Bank transfer (automatic)", "Credit card (automatic)", "Electronic check", "Mailed check"
    ]
    monthly_charges: float = Field(ge=0, le=1000)
    total_charges: float | None = Field(ge=0, le=200000)


class Batch(BaseModel):
    """A batch request."""

    model_config = ConfigDict(extra="forbid")
    customers: list[Customer] = Field(min_length=1, max_length=1000)


def train() -> Pipeline:
    """Fit the pipeline on the train split."""
    frame = pd.read_csv(TRAIN_CSV)
    y = (frame.pop("churn") == "Yes").astype(int)
    frame = frame.drop(columns=["row_id"])
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
    return make_pipeline(pre, LogisticRegression(max_iter=1000, random_state=0)).fit(frame, y)


MODEL = train()
FEATURES = list(Customer.model_fields)[1:]
app = FastAPI(title="calibration churn service")


def score(customer: Customer) -> dict:
    """Predict for one customer (one-row DataFrame: the plain, slow path)."""
    row = pd.DataFrame([customer.model_dump(exclude={"customer_id"})])[FEATURES]
    row["total_charges"] = row["total_charges"].astype(float)
    p = float(MODEL.predict_proba(row)[0, 1])
    return {
        "customer_id": customer.customer_id,
        "churn": p >= 0.5,
        "churn_probability": p,
        "model_version": VERSION,
    }


@app.get("/health")
def health() -> dict:
    """Ready once the module has trained."""
    return {"status": "ok"}


@app.post("/predict")
def predict(customer: Customer) -> dict:
    """One prediction."""
    return score(customer)


@app.post("/predict/batch")
def predict_batch(batch: Batch) -> dict:
    """Predictions in request order."""
    return {"predictions": [score(c) for c in batch.customers], "model_version": VERSION}
