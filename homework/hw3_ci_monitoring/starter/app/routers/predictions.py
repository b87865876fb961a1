"""GET /predictions and GET /predictions/{id}: read what was stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from app.dependencies import RepositoryDep
from app.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ErrorMessage,
    PredictionPage,
    PredictionRecord,
)

router = APIRouter(prefix="/predictions", tags=["predictions"])

DATABASE_DOWN = {503: {"model": ErrorMessage, "description": "database unavailable; retry"}}


@router.get("", summary="Stored predictions, newest first, one page", responses=DATABASE_DOWN)
def list_predictions(
    repository: RepositoryDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="page size")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, description="records to skip")] = 0,
) -> PredictionPage:
    """Newest first, ties broken by id (larger first): while nothing is written, consecutive
    pages neither repeat nor skip a record. Fewer than ``limit`` items means the last page."""
    rows = repository.list_newest_first(limit=limit, offset=offset)
    return PredictionPage(
        items=[PredictionRecord.model_validate(row) for row in rows], limit=limit, offset=offset
    )


@router.get(
    "/{id}",
    summary="One stored prediction",
    responses={404: {"model": ErrorMessage, "description": "no such record"}} | DATABASE_DOWN,
)
def get_prediction(
    repository: RepositoryDep,
    record_id: Annotated[int, Path(alias="id", description="the id from /predict")],
) -> PredictionRecord:
    """The stored prediction with this id; 404 for any integer that is not a stored id."""
    row = repository.get(record_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no prediction with id {record_id}")
    return PredictionRecord.model_validate(row)
