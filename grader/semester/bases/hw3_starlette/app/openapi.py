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
    "Error": {"type": "object", "required": ["detail"], "properties": {"detail": {}}},
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"const": "ok"}},
    },
}
RECORD_FIELDS: dict[str, Any] = {
    "id": {"type": "integer", "minimum": 1},
    "customer_id": {"type": ["string", "null"]},
    "churn": {"type": "boolean"},
    "churn_probability": {"type": "number", "minimum": 0, "maximum": 1},
    "model_version": {"type": "string"},
}
STORED_SCHEMAS: dict[str, Any] = {
    "StoredPrediction": {
        "type": "object",
        "required": list(RECORD_FIELDS),
        "properties": RECORD_FIELDS,
    },
    "PredictionRecord": {
        "type": "object",
        "required": [*RECORD_FIELDS, "created_at", "features"],
        "properties": {
            **RECORD_FIELDS,
            "created_at": {"type": "string", "format": "date-time"},
            "features": {"type": "object", "description": "the 19 features as received"},
        },
    },
    "PredictionPage": {
        "type": "object",
        "required": ["items", "limit", "offset"],
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": COMPONENTS.format(name="PredictionRecord")},
            },
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "offset": {"type": "integer", "minimum": 0},
        },
    },
}


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": COMPONENTS.format(name=schema)}}}}


def _answers(ok: str | None, *errors: int) -> dict[str, Any]:
    """200 with ``ok``'s schema; 422s carry the validation problem, other codes an Error."""
    out: dict[str, Any] = {"200": {"description": "OK", **(_json(ok) if ok else {})}}
    for code in errors:
        shape = "Problem" if code == 422 else "Error"
        out[str(code)] = {"description": REASONS.get(code, "Rejected"), **_json(shape)}
    return out


REASONS = {
    404: "No record with this id",
    413: "Body too large",
    422: "Invalid input",
    503: "Database unavailable (retry)",
}


def _integer_parameter(name: str, where: str, **bounds: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": {"type": "integer", **bounds},
    }


def build_document(version: str) -> dict[str, Any]:
    """Every route of the service, with its request and answer schemas."""
    (_, _), components = msgspec.json.schema_components(
        [Customer, BatchRequest], ref_template=COMPONENTS
    )
    components.update(ANSWER_SCHEMAS)
    components.update(STORED_SCHEMAS)
    components["BatchAnswer"] = {
        "type": "object",
        "required": ["predictions", "model_version"],
        "properties": {
            "predictions": {
                "type": "array",
                "items": {"$ref": COMPONENTS.format(name="StoredPrediction")},
            },
            "model_version": {"type": "string"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Churn risk (Starlette + PostgreSQL)", "version": version},
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
                    "responses": _answers("StoredPrediction", 422, 503),
                }
            },
            "/predict/batch": {
                "post": {
                    "summary": "Churn risk of up to 1000 customers, in order",
                    "requestBody": {"required": True, **_json("BatchRequest")},
                    "responses": _answers("BatchAnswer", 413, 422, 503),
                }
            },
            "/ready": {
                "get": {
                    "summary": "Ready while the database answers",
                    "responses": _answers("Health", 503),
                }
            },
            "/predictions": {
                "get": {
                    "summary": "Stored predictions, newest first (ties by id), one page",
                    "parameters": [
                        _integer_parameter("limit", "query", minimum=1, maximum=100, default=50),
                        _integer_parameter("offset", "query", minimum=0, default=0),
                    ],
                    "responses": _answers("PredictionPage", 422, 503),
                }
            },
            "/predictions/{id}": {
                "get": {
                    "summary": "One stored prediction",
                    "parameters": [_integer_parameter("id", "path")],
                    "responses": _answers("PredictionRecord", 404, 422, 503),
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics of this process (text exposition format)",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
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
