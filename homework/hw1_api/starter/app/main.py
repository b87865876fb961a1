"""The FastAPI application: ``uvicorn app.main:app``.

``create_app()`` builds a fresh application (your tests can call it with their own settings).
What works already: ``GET /health``, ``/docs`` and ``/openapi.json``. ``/model``, ``/predict`` and
``/predict/batch`` exist but answer 501 until you implement them (README.md, "Your tasks").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.config import Settings, get_settings
from app.routers import health, model, predict


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # TODO(hw1, task 2): load the model ONCE here, before the first request, e.g.
        #     app.state.model = ChurnModel.load(settings.model_path, settings.metrics_path)
        # and make GET /health answer 200 only once it is loaded.
        app.state.model = None
        yield

    app = FastAPI(
        title=settings.title,
        version="0.1.0",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,  # larger request bodies get 413 (FastAPI's limit)
    )
    app.include_router(health.router)
    app.include_router(model.router)
    app.include_router(predict.router)
    return app


app = create_app()
