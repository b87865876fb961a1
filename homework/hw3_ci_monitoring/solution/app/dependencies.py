"""Request-scoped access to what the application holds: the model, the database, the metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import ServiceMetrics
from app.model import ChurnModel
from app.repository import PredictionRepository


async def get_model(request: Request) -> ChurnModel:
    """The model loaded at start-up (``async`` so FastAPI does not hop to a worker thread)."""
    model: ChurnModel | None = getattr(request.app.state, "model", None)
    if model is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="model not loaded")
    return model


async def get_engine(request: Request) -> Engine:
    """The process's connection pool."""
    return request.app.state.engine


async def get_metrics(request: Request) -> ServiceMetrics:
    """The application's metric families."""
    return request.app.state.metrics


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, closed (its connection back in the pool) when the request ends.

    Creating a session does not connect: a request rejected with 422 never touches the database.
    """
    with request.app.state.session_factory() as session:
        yield session


def get_repository(session: Annotated[Session, Depends(get_session)]) -> PredictionRepository:
    """The data-access layer over this request's session."""
    return PredictionRepository(session)


ModelDep = Annotated[ChurnModel, Depends(get_model)]
EngineDep = Annotated[Engine, Depends(get_engine)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
RepositoryDep = Annotated[PredictionRepository, Depends(get_repository)]
