"""POST /predict and POST /predict/batch (the hw1 endpoints, not stored yet).

The body is a typed parameter: FastAPI validates it against :class:`Customer` (or
:class:`BatchRequest`) and answers 422 before this code runs.

TODO(hw2, task 1): store every prediction (a batch in one transaction) through the repository
and return the stored record's ``id`` with each prediction. Endpoints that wait for the database
should be plain ``def`` (FastAPI runs them in its thread pool).
"""

from __future__ import annotations

from fastapi import APIRouter

from app.dependencies import ModelDep
from app.errors import JSONBodyRoute
from app.model import ChurnModel
from app.schemas import BatchRequest, BatchResponse, Customer, ErrorMessage, Prediction

router = APIRouter(tags=["predict"], route_class=JSONBodyRoute)


def score(model: ChurnModel, customer: Customer) -> Prediction:
    """The model's answer for one customer."""
    churn, probability = model.predict(customer.model_dump(exclude={"customer_id"}))
    return Prediction(
        customer_id=customer.customer_id,
        churn=churn,
        churn_probability=probability,
        model_version=model.version,
    )


@router.post("/predict", summary="Predict churn for one customer")
async def predict(customer: Customer, model: ModelDep) -> Prediction:
    """Churn class and probability for one customer; ``customer_id`` is echoed back."""
    return score(model, customer)


@router.post(
    "/predict/batch",
    summary="Predict churn for up to 1000 customers, results in request order",
    responses={413: {"model": ErrorMessage, "description": "request body too large"}},
)
async def predict_batch(batch: BatchRequest, model: ModelDep) -> BatchResponse:
    """One prediction per customer, in request order."""
    return BatchResponse(
        predictions=[score(model, customer) for customer in batch.customers],
        model_version=model.version,
    )
