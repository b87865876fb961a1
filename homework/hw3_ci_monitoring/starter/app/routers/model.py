"""GET /model: what is being served."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from app.dependencies import ModelDep
from app.schemas import FeatureInfo, Metrics, ModelInfo, feature_schema

router = APIRouter(tags=["model"])


@cache
def _features() -> tuple[FeatureInfo, ...]:
    return tuple(feature_schema())


@router.get(
    "/model",
    summary="Model name, version, feature schema and training metrics",
    response_model_exclude_none=True,
)
async def model_info(model: ModelDep) -> ModelInfo:
    """The served model's identity, the 19 request features and its golden metrics."""
    return ModelInfo(
        name=model.name,
        version=model.version,
        threshold=model.threshold,
        features=list(_features()),
        metrics=Metrics.model_validate(model.metrics),
    )
