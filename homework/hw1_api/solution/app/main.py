"""The FastAPI application: ``uvicorn app.main:app``.

``create_app()`` builds a fresh application (tests call it with their own settings); the
lifespan loads the model once, before the first request is accepted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from app.config import Settings, get_settings
from app.errors import validation_exception_handler
from app.model import ChurnModel
from app.routers import health, model, predict

DESCRIPTION = """
Predicts whether a telecom customer will churn, from 19 features of their account.

* `POST /predict` scores one customer, `POST /predict/batch` up to 1000 in one call.
* Invalid input gets **422** in FastAPI's shape, with the offending field in `loc`; more than
  1000 customers in a batch is a 422 too; a request body above the byte limit gets **413**.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the model is loaded by the lifespan, once per process."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = ChurnModel.load(settings.model_path, settings.metrics_path)
        yield
        app.state.model = None

    app = FastAPI(
        title=settings.title,
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.include_router(health.router)
    app.include_router(model.router)
    app.include_router(predict.router)
    return app


app = create_app()
