"""POST /predict and POST /predict/batch: score, store, count, answer with the stored ids.

The body is a typed parameter: FastAPI validates it against :class:`Customer` (or
:class:`BatchRequest`) and answers 422 before this code runs, so a rejected request stores
nothing. Only stored predictions are counted in the metrics. The endpoints are plain ``def``: the database calls block, and FastAPI runs them in its
thread pool, one pooled connection per request in flight.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.dependencies import MetricsDep, ModelDep, RepositoryDep
from app.errors import JSONBodyRoute
from app.model import ChurnModel
from app.repository import NewPrediction
from app.schemas import (
    BatchRequest,
    BatchResponse,
    Customer,
    ErrorMessage,
    StoredPrediction,
)

router = APIRouter(tags=["predict"], route_class=JSONBodyRoute)

DATABASE_DOWN = {503: {"model": ErrorMessage, "description": "database unavailable; retry"}}


def score(model: ChurnModel, customer: Customer) -> NewPrediction:
    """The model's answer for one customer, ready to store."""
    features = customer.model_dump(exclude={"customer_id"})
    churn, probability = model.predict(features)
    return NewPrediction(
        customer_id=customer.customer_id,
        features=features,
        churn=churn,
        churn_probability=probability,
        model_version=model.version,
    )


def answer(record_id: int, prediction: NewPrediction) -> StoredPrediction:
    """What the caller gets back: hw1's prediction plus the stored record's id."""
    return StoredPrediction(
        id=record_id,
        customer_id=prediction.customer_id,
        churn=prediction.churn,
        churn_probability=prediction.churn_probability,
        model_version=prediction.model_version,
    )


@router.post("/predict", summary="Predict churn for one customer", responses=DATABASE_DOWN)
def predict(
    customer: Customer, model: ModelDep, repository: RepositoryDep, metrics: MetricsDep
) -> StoredPrediction:
    """Churn class and probability for one customer, stored; ``customer_id`` is echoed back."""
    prediction = score(model, customer)
    record_id = repository.add(prediction)
    metrics.observe_predictions([(prediction.churn, prediction.churn_probability)])
    return answer(record_id, prediction)


@router.post(
    "/predict/batch",
    summary="Predict churn for up to 1000 customers, results in request order",
    responses={413: {"model": ErrorMessage, "description": "request body too large"}}
    | DATABASE_DOWN,
)
def predict_batch(
    batch: BatchRequest, model: ModelDep, repository: RepositoryDep, metrics: MetricsDep
) -> BatchResponse:
    """One prediction per customer, in request order, all stored in one transaction or none."""
    scored = [score(model, customer) for customer in batch.customers]
    ids = repository.add_all(scored)
    metrics.observe_predictions((p.churn, p.churn_probability) for p in scored)
    return BatchResponse(
        predictions=[answer(i, p) for i, p in zip(ids, scored, strict=True)],
        model_version=model.version,
    )
