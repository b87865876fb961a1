"""The OpenAPI 3.1 document, written by hand around the JSON Schemas msgspec derives from the records."""

from __future__ import annotations

from typing import Any

import msgspec

from app.records import BatchRequest, Customer

COMPONENTS = "#/components/schemas/{name}"

ANSWER_SCHEMAS: dict[str, Any] = {
    "Prediction": {
        "type": "object",
        "required": ["customer_id", "churn", "churn_probability", "model_version"],
        "properties": {
            "customer_id": {"type": ["string", "null"]},
            "churn": {"type": "boolean"},
            "churn_probability": {"type": "number", "minimum": 0, "maximum": 1},
            "model_version": {"type": "string"},
        },
    },
    "Problem": {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "array", "items": {"type": "object"}}},
    },
}


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": COMPONENTS.format(name=schema)}}}}


def _answers(ok: str | None, *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "OK", **(_json(ok) if ok else {})}}
    for code in errors:
        out[str(code)] = {"description": "Rejected", **_json("Problem")}
    return out


def build_document(version: str) -> dict[str, Any]:
    """Every route of the service, with its request and answer schemas."""
    (_, _), components = msgspec.json.schema_components(
        [Customer, BatchRequest], ref_template=COMPONENTS
    )
    components.update(ANSWER_SCHEMAS)
    components["BatchAnswer"] = {
        "type": "object",
        "required": ["predictions", "model_version"],
        "properties": {
            "predictions": {
                "type": "array",
                "items": {"$ref": COMPONENTS.format(name="Prediction")},
            },
            "model_version": {"type": "string"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Churn risk (Starlette)", "version": version},
        "paths": {
            "/health": {
                "get": {
                    "summary": "Ready once the model is loaded",
                    "responses": _answers(None, 503),
                }
            },
            "/model": {
                "get": {
                    "summary": "Model, features and golden metrics",
                    "responses": _answers(None),
                }
            },
            "/predict": {
                "post": {
                    "summary": "Churn risk of one customer",
                    "requestBody": {"required": True, **_json("Customer")},
                    "responses": _answers("Prediction", 422),
                }
            },
            "/predict/batch": {
                "post": {
                    "summary": "Churn risk of up to 1000 customers, in order",
                    "requestBody": {"required": True, **_json("BatchRequest")},
                    "responses": _answers("BatchAnswer", 413, 422),
                }
            },
        },
        "components": {"schemas": components},
    }


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Churn risk API</title></head>
<body><h1>Churn risk API</h1>
<p>The machine-readable description is <a href="/openapi.json">/openapi.json</a>;
open it in any OpenAPI viewer.</p></body></html>
"""
