"""GET /metrics. TODO(hw3, task 1): the Prometheus text format of the application's registry."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", summary="Prometheus metrics")
async def metrics() -> None:
    """TODO(hw3, task 1): ``generate_latest(registry)`` with ``CONTENT_TYPE_LATEST``."""
    raise HTTPException(
        status.HTTP_501_NOT_IMPLEMENTED,
        detail="Not implemented yet: GET /metrics. See README.md, 'Task 1: metrics'.",
    )
