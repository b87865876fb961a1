"""A minimal churn service for the container walkthrough: /health and /predict over ONNX Runtime.

Configuration comes from the environment only, as Kubernetes and Compose supply it:
``MODEL_PATH`` (the ONNX file baked into the image), ``PROBABILITY_THRESHOLD`` and ``LOG_LEVEL``
(ConfigMap) and ``DATABASE_URL`` (built from the Secret). This service does not store
predictions, so it only reports whether a database is configured, never the URL itself.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Literal

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "info").upper(),
    format="%(asctime)s %(levelname)s %(name)s %(message)s",
)
log = logging.getLogger("churn_service")

YesNo = Literal["Yes", "No"]
Service = Literal["Yes", "No", "No internet service"]


class Customer(BaseModel):
    """One customer, in the columns of the course data (``data/train.csv``)."""

    model_config = ConfigDict(extra="forbid")

    female: Literal[0, 1]
    senior_citizen: Literal[0, 1]
    partner: Literal[0, 1]
    dependents: Literal[0, 1]
    phone_service: Literal[0, 1]
    paperless_billing: Literal[0, 1]
    tenure: int = Field(ge=0, le=120)
    monthly_charges: float = Field(ge=0, allow_inf_nan=False)
    total_charges: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    multiple_lines: Literal["Yes", "No", "No phone service"]
    internet_service: Literal["DSL", "Fiber optic", "No"]
    online_security: Service
    online_backup: Service
    device_protection: Service
    tech_support: Service
    streaming_tv: Service
    streaming_movies: Service
    contract: Literal["Month-to-month", "One year", "Two year"]
    payment_method: str


class Prediction(BaseModel):
    churn_probability: float
    churn: bool


@lru_cache(maxsize=1)
def session() -> ort.InferenceSession:
    """Load the model once per process (each uvicorn worker has its own)."""
    path = os.environ.get("MODEL_PATH", "models/churn.onnx")
    log.info("loading model from %s", path)
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def feed(customer: Customer) -> dict[str, np.ndarray]:
    """One (1, 1) array per graph input: numbers as float32 (missing -> NaN), the rest strings."""
    values = customer.model_dump()
    result: dict[str, np.ndarray] = {}
    for graph_input in session().get_inputs():
        value = values[graph_input.name]
        if graph_input.type == "tensor(string)":
            result[graph_input.name] = np.array([[value]], dtype=object)
        else:
            number = np.nan if value is None else value
            result[graph_input.name] = np.array([[number]], dtype=np.float32)
    return result


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Load the model before serving: a missing model fails the start, not the first request."""
    session()
    log.info("database configured: %s", "DATABASE_URL" in os.environ)
    yield


app = FastAPI(title="churn-service", version="1.2.0", lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness/readiness: the process is up and its model is loaded."""
    session()
    return {"status": "ok"}


@app.post("/predict")
def predict(customer: Customer) -> Prediction:
    """Churn probability for one customer, and the decision at the configured threshold."""
    threshold = float(os.environ.get("PROBABILITY_THRESHOLD", "0.5"))
    (probabilities,) = session().run(["probabilities"], feed(customer))
    probability = float(probabilities[0, 1])
    return Prediction(churn_probability=probability, churn=probability >= threshold)
