"""The churn prediction service (Flask): hw1 contract, FastAPI-compatible error bodies.

Serve with ``gunicorn app.main:app`` (see ``[tool.mlops-course] serve`` in pyproject.toml).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from app.model import ChurnModel
from app.openapi import DOCS_HTML, build_openapi
from app.validation import ContractValidator, RequestValidationError, parse_json

# Bodies above this size are refused with 413 before they are read. A full batch of 1,000
# customers is about 0.6 MB of compact JSON.
MAX_BODY_BYTES = 8 * 1024 * 1024
JSON_TYPES = ("application/json",)

log = logging.getLogger("churn_service")


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    return Response(body, status=status, mimetype="application/json")


def _is_json(content_type: str | None) -> bool:
    """No Content-Type is accepted as JSON (like FastAPI); otherwise it must be JSON."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def create_app(
    model: ChurnModel | None = None, validator: ContractValidator | None = None
) -> Flask:
    """Build the application; the model and validator load once, at start-up."""
    model = model or ChurnModel.load()
    validator = validator or ContractValidator.load()
    contract = validator.contract
    openapi_body = json.dumps(build_openapi(contract, model.version))
    customer = contract["$defs"]["Customer"]
    features = [_feature_info(name, customer["properties"][name]) for name in customer["required"]]
    missing = set(model.features) ^ {f["name"] for f in features}
    if missing:
        raise RuntimeError(f"model and contract disagree on features: {sorted(missing)}")
    model_info = {
        "name": model.name,
        "version": model.version,
        "threshold": model.threshold,
        "features": features,
        "metrics": model.metrics,
    }

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    def body() -> Any:
        if not _is_json(request.content_type):
            raw = request.get_data(cache=False)
            text = raw.decode("utf-8", errors="replace")[:200]
            msg = "Input should be a valid dictionary or object to extract fields from"
            raise RequestValidationError(
                [{"type": "model_attributes_type", "loc": ["body"], "msg": msg, "input": text}]
            )
        raw = request.get_data(cache=False)
        if not raw:
            raise RequestValidationError(
                [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
            )
        return parse_json(raw)

    @app.get("/health")
    def health() -> Response:
        return json_response({"status": "ok"})

    @app.get("/model")
    def model_endpoint() -> Response:
        return json_response(model_info)

    @app.post("/predict")
    def predict() -> Response:
        return json_response(model.predict(validator.predict_body(body())))

    @app.post("/predict/batch")
    def predict_batch() -> Response:
        customers = validator.batch_body(body())
        return json_response(
            {"predictions": model.predict_many(customers), "model_version": model.version}
        )

    @app.get("/openapi.json")
    def openapi() -> Response:
        return Response(openapi_body, mimetype="application/json")

    @app.get("/docs")
    def docs() -> Response:
        return Response(DOCS_HTML, mimetype="text/html")

    @app.errorhandler(RequestValidationError)
    def unprocessable(exc: RequestValidationError) -> Response:
        return json_response({"detail": exc.errors}, 422)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # 404, 405 (keeps its Allow header), 413 ...: JSON like FastAPI's {"detail": "Not Found"}.
        response = exc.get_response()
        response.set_data(json.dumps({"detail": exc.name}))
        response.mimetype = "application/json"
        return response

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> Response:  # a bug, never an expected path
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"detail": "Internal Server Error"}, 500)

    return app


def _feature_info(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One /model feature entry from the contract's property schema."""
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    info: dict[str, Any] = {"name": name, "type": next(t for t in types if t != "null")}
    info["nullable"] = "null" in types
    for key in ("enum", "minimum", "maximum", "description"):
        if key in spec:
            info["values" if key == "enum" else key] = spec[key]
    return info


app = create_app()
