"""GET /predictions and GET /predictions/{id}: read what was stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

router = APIRouter(prefix="/predictions", tags=["predictions"])


def not_implemented(what: str) -> HTTPException:
    return HTTPException(
        status.HTTP_501_NOT_IMPLEMENTED,
        detail=f"Not implemented yet: {what}. See README.md, 'Task 6: read endpoints'.",
    )


@router.get("", summary="Stored predictions, newest first, one page")
def list_predictions() -> None:
    """TODO(hw2, task 6): ``limit`` (1..100, default 50) and ``offset`` (>= 0) query parameters,
    newest first with ties broken by id; return a ``PredictionPage``."""
    raise not_implemented("GET /predictions must return one page of stored predictions")


@router.get("/{id}", summary="One stored prediction")
def get_prediction(record_id: Annotated[int, Path(alias="id")]) -> None:
    """TODO(hw2, task 6): the stored record, or 404 when there is none."""
    raise not_implemented("GET /predictions/{id} must return one stored prediction or 404")
