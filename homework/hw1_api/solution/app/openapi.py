"""The OpenAPI document: FastAPI's, plus the request-body schemas of routes that parse raw bodies.

``/predict`` and ``/predict/batch`` read their bodies themselves (see ``app.routers.predict``), so
FastAPI does not collect ``Customer``, ``BatchRequest`` or its validation-error schemas on its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import (
    get_openapi,
    validation_error_definition,
    validation_error_response_definition,
)
from pydantic import BaseModel

from app.schemas import BatchRequest, Customer

REF_TEMPLATE = "#/components/schemas/{model}"
BODY_MODELS: tuple[type[BaseModel], ...] = (Customer, BatchRequest)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in BODY_MODELS:
                schema = model.model_json_schema(ref_template=REF_TEMPLATE)
                for name, definition in schema.pop("$defs", {}).items():
                    schemas.setdefault(name, definition)
                schemas.setdefault(model.__name__, schema)
            schemas.setdefault("ValidationError", validation_error_definition)
            schemas.setdefault("HTTPValidationError", validation_error_response_definition)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
