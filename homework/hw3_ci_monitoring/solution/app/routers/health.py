"""GET /health (liveness) and GET /ready (readiness)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from starlette.concurrency import run_in_threadpool

from app.db import database_is_reachable
from app.dependencies import EngineDep, ModelDep
from app.schemas import ErrorMessage, Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Liveness: 200 once the model is loaded",
    responses={503: {"model": ErrorMessage, "description": "model not loaded"}},
)
async def health(model: ModelDep) -> Health:
    """``{"status": "ok"}`` while the process can serve; it does not ask the database.

    A liveness probe that failed with the database would make Kubernetes restart every replica
    during a database outage, which fixes nothing: that is what ``/ready`` is for.
    """
    return Health()


@router.get(
    "/ready",
    summary="Readiness: 200 while the database answers, 503 while it does not",
    responses={503: {"model": ErrorMessage, "description": "database unreachable"}},
)
async def ready(model: ModelDep, engine: EngineDep) -> Health:
    """``{"status": "ok"}`` when a ``SELECT 1`` succeeds within the database timeouts."""
    if not await run_in_threadpool(database_is_reachable, engine):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="database unreachable")
    return Health()
