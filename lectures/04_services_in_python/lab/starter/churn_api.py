"""A small churn service on the hw1 reference model, with an explanation endpoint.

* ``GET /health``: the model is loaded.
* ``POST /predict``: one customer's churn probability.
* ``POST /explain?top=N``: which features pushed this customer's score up or down most. For a
  logistic regression the log-odds are a sum, ``intercept + sum(contributions)``, so each
  feature's contribution is exact, not an approximation.

Lab starter: ``/health`` and ``/predict`` work; see the TODOs and the lab README.

Run: ``uv run uvicorn churn_api:app --app-dir lectures/04_services_in_python/lab/solution``
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field, Strict

REPO_ROOT = Path(__file__).resolve().parents[4]
MODEL_PATH = Path(
    os.environ.get(
        "CHURN_MODEL_PATH", REPO_ROOT / "homework" / "hw1_api" / "solution" / "model" / "model.json"
    )
)

Flag = Annotated[int, Strict(), Field(ge=0, le=1)]
InternetAddOn = Literal["No", "No internet service", "Yes"]


class Customer(BaseModel):
    """One customer's features; unknown fields are a 422, not silently dropped."""

    # TODO: unknown fields are silently dropped today; make them a 422.

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    female: Flag
    senior_citizen: Flag
    partner: Flag
    dependents: Flag
    tenure: int = Field(ge=0, le=120, description="months with the company")
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
    monthly_charges: float = Field(ge=0, le=10_000)
    total_charges: float | None = Field(ge=0, le=200_000, description="null when tenure is 0")


class Prediction(BaseModel):
    """The churn probability for one customer."""

    customer_id: str | None
    churn_probability: float = Field(ge=0, le=1)
    model_version: str


# TODO: response models for /explain: Contribution (feature, value, contribution) and
# Explanation (churn_probability, intercept, contributions).


class Scorer:
    """The hw1 reference logistic regression, read from its exported parameters."""

    def __init__(self, path: Path) -> None:
        artefact = json.loads(path.read_text(encoding="utf-8"))
        coef = artefact["classifier"]["coef"]
        self.version: str = artefact["version"]
        self.intercept: float = float(artefact["classifier"]["intercept"])
        self.features: list[str] = list(artefact["features"])
        self.categories = {
            feature: {value: coef[column] for value, column in columns.items()}
            for feature, columns in artefact["categorical"]["index"].items()
        }
        numeric = artefact["numeric"]
        self.numeric = {
            feature: (coef[numeric["offset"] + j], mean, scale, impute)
            for j, (feature, mean, scale, impute) in enumerate(
                zip(
                    numeric["features"],
                    numeric["mean"],
                    numeric["scale"],
                    numeric["impute_value"],
                    strict=True,
                )
            )
        }

    def contributions(self, customer: dict[str, Any]) -> dict[str, float]:
        """Each feature's term in the log-odds (one-hot weight, or weight times scaled value)."""
        terms = {name: weights[customer[name]] for name, weights in self.categories.items()}
        for name, (weight, mean, scale, impute) in self.numeric.items():
            value = impute if customer[name] is None else float(customer[name])
            terms[name] = weight * (value - mean) / scale
        return terms

    def probability(self, customer: dict[str, Any]) -> float:
        """The churn probability: the logistic function of intercept plus contributions."""
        z = self.intercept + sum(self.contributions(customer).values())
        return 1.0 / (1.0 + math.exp(-z))


scorer = Scorer(MODEL_PATH)
app = FastAPI(title="Churn service (lab 4)", version=scorer.version)


@app.get("/health")
def health() -> dict[str, str]:
    """The model is loaded (at import time, in this small service)."""
    return {"status": "ok"}


@app.post("/predict", response_model=Prediction)
def predict(customer: Customer) -> Prediction:
    """The churn probability for one customer."""
    probability = scorer.probability(customer.model_dump())
    return Prediction(
        customer_id=customer.customer_id,
        churn_probability=probability,
        model_version=scorer.version,
    )


# TODO: POST /explain?top=N (1 <= N <= 19, default 3) with response_model=Explanation: the N
# contributions with the largest absolute value, largest first (scorer.contributions does the maths).
