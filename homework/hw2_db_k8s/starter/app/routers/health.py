"""GET /health (liveness) and GET /ready (readiness)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from app.dependencies import ModelDep
from app.schemas import ErrorMessage, Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Liveness: 200 once the model is loaded",
    responses={503: {"model": ErrorMessage, "description": "model not loaded"}},
)
async def health(model: ModelDep) -> Health:
    """``{"status": "ok"}`` once the model is loaded. Keep it independent of the database."""
    return Health()


@router.get("/ready", summary="Readiness: 200 while the database answers, 503 while it does not")
async def ready(model: ModelDep) -> Health:
    """TODO(hw2, task 1): ``SELECT 1`` against the database; 503 when it does not answer."""
    raise HTTPException(
        status.HTTP_501_NOT_IMPLEMENTED,
        detail="Not implemented yet: GET /ready must answer 200 while the database answers "
        "and 503 while it does not. See README.md, 'Task 1: persistence'.",
    )
