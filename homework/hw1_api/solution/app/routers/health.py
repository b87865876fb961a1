"""GET /health: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from app.dependencies import ModelDep
from app.schemas import ErrorMessage, Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Liveness and readiness: 200 once the model is loaded",
    responses={503: {"model": ErrorMessage, "description": "model not loaded"}},
)
async def health(model: ModelDep) -> Health:
    """``{"status": "ok"}`` once the model is loaded (the lifespan loads it before serving)."""
    return Health()
