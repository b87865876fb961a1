"""Request-scoped access to what the lifespan created."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from app.model import ChurnModel


async def get_model(request: Request) -> ChurnModel:
    """The model loaded at start-up (``async`` so FastAPI does not hop to a worker thread)."""
    model: ChurnModel | None = getattr(request.app.state, "model", None)
    if model is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="model not loaded")
    return model


ModelDep = Annotated[ChurnModel, Depends(get_model)]

# TODO(hw2, task 1): a dependency that yields a database session per request (closed when the
# request ends) and one that wraps it in a PredictionRepository, e.g.
#     RepositoryDep = Annotated[PredictionRepository, Depends(get_repository)]
