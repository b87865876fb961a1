"""GET /health: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from app.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and readiness")
async def health() -> Health:
    """``{"status": "ok"}``.

    TODO(hw1, task 2): answer 200 only once the model is loaded (503 otherwise).
    """
    return Health()
