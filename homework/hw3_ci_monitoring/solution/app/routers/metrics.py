"""GET /metrics: the Prometheus text format of the application's registry."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.metrics import CONTENT_TYPE, METRICS_PATH, ServiceMetrics

router = APIRouter(tags=["monitoring"])


@router.get(METRICS_PATH, summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Every metric family of the service, for Prometheus to scrape."""
    registry: ServiceMetrics = request.app.state.metrics
    return Response(content=registry.exposition(), media_type=CONTENT_TYPE)
