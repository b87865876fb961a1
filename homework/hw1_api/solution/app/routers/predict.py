"""POST /predict and POST /predict/batch.

FastAPI does the request work from the type hints: it parses the JSON body, validates it as a
``Customer`` (or ``BatchRequest``), answers 422 naming every offending field, and serialises the
returned model. The handlers only score.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.dependencies import ModelDep
from app.model import ChurnModel
from app.schemas import BatchRequest, BatchResponse, Customer, ErrorMessage, Prediction

# Besides 200 and 422, which FastAPI documents by itself: the two answers FastAPI gives before
# validation starts, for bodies it cannot parse at all and for bodies above the size limit.
router = APIRouter(
    tags=["predict"],
    responses={
        400: {"model": ErrorMessage, "description": "the body is not JSON FastAPI can parse"},
        413: {"model": ErrorMessage, "description": "the request body is too large"},
    },
)


def score(model: ChurnModel, customer: Customer) -> Prediction:
    """The model's prediction for one validated customer (``customer_id`` only echoed)."""
    churn, probability = model.predict(customer.model_dump())
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
    "/predict/batch", summary="Predict churn for up to 1000 customers, results in request order"
)
async def predict_batch(batch: BatchRequest, model: ModelDep) -> BatchResponse:
    """One prediction per customer, in request order. More than 1000 customers is a 422."""
    return BatchResponse(
        predictions=[score(model, customer) for customer in batch.customers],
        model_version=model.version,
    )
