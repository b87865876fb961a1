"""GET /model: what is being served."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

router = APIRouter(tags=["model"])


@router.get("/model", summary="Model name, version, feature schema and training metrics")
async def model_info() -> None:
    """TODO(hw1, task 3): return the ``ModelInfo`` of the contract."""
    raise HTTPException(
        status.HTTP_501_NOT_IMPLEMENTED,
        detail=(
            "Not implemented yet: GET /model must return the model's name, version, the 19 "
            "request features and the training metrics (model/metrics.json). "
            "See README.md, 'Task 3: GET /model'."
        ),
    )
