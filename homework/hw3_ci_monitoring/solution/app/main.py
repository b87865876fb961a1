"""The FastAPI application: ``python -m app serve`` (or ``uvicorn app.main:app``).

``create_app()`` builds a fresh application (tests call it with their own settings). Its lifespan,
before the first request is accepted,

1. loads the model;
2. opens the connection pool (``DATABASE_URL`` is required);
3. waits for the database (up to ``db_startup_timeout_s``) and brings the schema up to date
   with the migrations (a no-op when it is current);

and closes the pool at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from app.config import Settings, get_settings
from app.db import (
    UNAVAILABLE_ERRORS,
    make_engine,
    make_session_factory,
    wait_for_database,
)
from app.errors import (
    BodySizeLimitMiddleware,
    database_unavailable_handler,
    validation_error_handler,
)
from app.metrics import ServiceMetrics
from app.middleware import ObservabilityMiddleware
from app.migrations import upgrade_to_head
from app.model import ChurnModel
from app.routers import health, metrics, model, predict, predictions

logger = logging.getLogger(__name__)

DESCRIPTION = """
Predicts whether a telecom customer will churn, from 19 features of their account, and stores
every prediction in PostgreSQL.

* `POST /predict` scores one customer, `POST /predict/batch` up to 1000 in one call (stored in
  one transaction); each prediction carries the `id` of its stored record.
* `GET /predictions` pages through stored predictions, newest first; `GET /predictions/{id}`
  reads one.
* `GET /metrics` exports Prometheus metrics; every response carries an `X-Request-ID` header
  (the caller's, when it sent a sane one) and every request writes one JSON log line.
* Invalid input gets **422** in FastAPI's shape, with the offending field in `loc`; a request
  body above the byte limit gets **413**; while the database is unreachable, endpoints that need
  it answer **503** and `GET /ready` says so (`GET /health` is liveness only).
"""


class DatabaseUnavailableAtStartError(RuntimeError):
    """The database did not answer within the start-up timeout."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; model and connection pool are created by the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = ChurnModel.load(settings.model_path, settings.metrics_path)
        app.state.metrics.set_model(app.state.model.version)
        engine = make_engine(settings)
        try:
            if settings.migrate_on_start:
                try:
                    await run_in_threadpool(
                        wait_for_database, engine, settings.db_startup_timeout_s
                    )
                except UNAVAILABLE_ERRORS as exc:
                    raise DatabaseUnavailableAtStartError(
                        f"the database did not answer within {settings.db_startup_timeout_s:g} s: "
                        f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc)).strip()}"
                    ) from None
                revision = await run_in_threadpool(upgrade_to_head, engine)
                logger.info("database schema at revision %s", revision)
            app.state.engine = engine
            app.state.session_factory = make_session_factory(engine)
            yield
        finally:
            app.state.model = None
            engine.dispose()

    app = FastAPI(
        title=settings.title,
        version="3.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = ServiceMetrics.create()
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, database_unavailable_handler)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Added last, so outermost: it sees every response, the 413s of the size limit included.
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics, routes=app.routes)
    app.include_router(health.router)
    app.include_router(model.router)
    app.include_router(predict.router)
    app.include_router(predictions.router)
    app.include_router(metrics.router)
    return app


app = create_app()
