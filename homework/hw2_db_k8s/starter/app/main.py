"""The FastAPI application: ``python -m app serve`` (or ``uvicorn app.main:app``).

What works already: the whole hw1 service (``/health``, ``/model``, ``/predict``,
``/predict/batch``, ``/docs``). What is missing is the database (README.md, "Your tasks").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from app.config import Settings, get_settings
from app.errors import BodySizeLimitMiddleware, validation_error_handler
from app.model import ChurnModel
from app.routers import health, model, predict, predictions


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the lifespan loads the model before the first request."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = ChurnModel.load(settings.model_path, settings.metrics_path)
        # TODO(hw2, tasks 1-2): open the connection pool (app/db.py), wait for the database and
        # bring its schema up to date (app/migrations.py) here, before the first request; put
        # the engine and a session factory on app.state; dispose of the engine at shutdown.
        yield
        app.state.model = None

    app = FastAPI(title=settings.title, version="2.0.0-dev", lifespan=lifespan)
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    # TODO(hw2, task 1): while the database is unreachable, answer 503 (not 500, no hang):
    # register a handler for the exceptions that mean "database unavailable".
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(model.router)
    app.include_router(predict.router)
    app.include_router(predictions.router)
    return app


app = create_app()
