"""POST /predict and POST /predict/batch."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

router = APIRouter(tags=["predict"])


@router.post("/predict", summary="Predict churn for one customer")
async def predict() -> None:
    """TODO(hw1, task 4): take a ``Customer`` body, return a ``Prediction``."""
    raise HTTPException(
        status.HTTP_501_NOT_IMPLEMENTED,
        detail=(
            "Not implemented yet: POST /predict must validate one customer (422 for invalid "
            "input) and return {customer_id, churn, churn_probability, model_version}. "
            "See README.md, 'Task 4: POST /predict'."
        ),
    )


@router.post("/predict/batch", summary="Predict churn for up to 1000 customers")
async def predict_batch() -> None:
    """TODO(hw1, task 5): take a ``BatchRequest`` body, return a ``BatchResponse``."""
    raise HTTPException(
        status.HTTP_501_NOT_IMPLEMENTED,
        detail=(
            'Not implemented yet: POST /predict/batch must take {"customers": [...]} (1 to 1000) '
            "and return one prediction per customer, in order. "
            "See README.md, 'Task 5: POST /predict/batch'."
        ),
    )
