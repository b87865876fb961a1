"""The churn prediction service (Flask): hw3 contract, FastAPI-compatible error bodies.

Every answered prediction is stored in PostgreSQL before the answer leaves (one transaction per
request, so a batch is all or nothing); rejected requests never reach the database. Every request
carries an ``X-Request-ID``, is counted in ``/metrics`` and writes one JSON log line
(``app/telemetry.py``). Serve with ``python -m app.serve`` (migrates, then runs
``gunicorn 'app.main:create_app()'``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import structlog
from flask import Flask, Response, request
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException

from app import store
from app.db import DATABASE_DOWN, answers, connect
from app.jsonlog import setup_structlog
from app.model import ChurnModel
from app.openapi import DOCS_HTML, build_openapi
from app.settings import Settings
from app.telemetry import Instruments, instrument
from app.validation import ContractValidator, RequestValidationError, error, parse_json

# Bodies above this size are refused with 413 before they are read. A full batch of 1,000
# customers is about 0.6 MB of compact JSON.
MAX_BODY_BYTES = 8 * 1024 * 1024
JSON_TYPES = ("application/json",)

RETRY_AFTER_S = 2
INTEGER = re.compile(r"^[+-]?[0-9]+$")

log = structlog.get_logger("churn.service")


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    return Response(body, status=status, mimetype="application/json")


def _is_json(content_type: str | None) -> bool:
    """No Content-Type is accepted as JSON (like FastAPI); otherwise it must be JSON."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def query_integer(name: str, default: int, low: int, high: int | None = None) -> int:
    """An integer query parameter within bounds, or a 422 naming it (FastAPI's error types)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    loc = ["query", name]
    if not INTEGER.match(raw.strip()):
        msg = "Input should be a valid integer, unable to parse string as an integer"
        raise RequestValidationError([error(loc, "int_parsing", msg, raw)])
    value = int(raw)
    if value < low:
        msg = f"Input should be greater than or equal to {low}"
        raise RequestValidationError([error(loc, "greater_than_equal", msg, raw, {"ge": low})])
    if high is not None and value > high:
        msg = f"Input should be less than or equal to {high}"
        raise RequestValidationError([error(loc, "less_than_equal", msg, raw, {"le": high})])
    return value


def stored(model: ChurnModel, customer: dict[str, Any]) -> dict[str, Any]:
    """The row to store for one validated customer: its features, the model's answer."""
    answer = model.predict(customer)
    return {
        "customer_id": answer["customer_id"],
        "features": {k: v for k, v in customer.items() if k != "customer_id"},
        "churn": answer["churn"],
        "churn_probability": answer["churn_probability"],
        "model_version": answer["model_version"],
    }


def answered(row: dict[str, Any], record_id: int) -> dict[str, Any]:
    """The contract's StoredPrediction for a stored row."""
    return {
        "id": record_id,
        "customer_id": row["customer_id"],
        "churn": row["churn"],
        "churn_probability": row["churn_probability"],
        "model_version": row["model_version"],
    }


def create_app(
    model: ChurnModel | None = None,
    validator: ContractValidator | None = None,
    engine: Engine | None = None,
) -> Flask:
    """Build the application; the model, validator, pool and metrics are made once, here."""
    setup_structlog()
    model = model or ChurnModel.load()
    validator = validator or ContractValidator.load()
    engine = engine or connect(Settings.from_env())
    limits = validator.contract["limits"]
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
    instruments = Instruments(contract)
    instruments.serving(model.version)
    instrument(app, instruments)

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

    @app.get("/ready")
    def ready() -> Response:
        if not answers(engine):
            return json_response({"detail": "database unreachable"}, 503)
        return json_response({"status": "ok"})

    @app.post("/predict")
    def predict() -> Response:
        row = stored(model, validator.predict_body(body()))
        [record_id] = store.save(engine, [row])
        instruments.scored([row["churn_probability"]])
        return json_response(answered(row, record_id))

    @app.post("/predict/batch")
    def predict_batch() -> Response:
        rows = [stored(model, c) for c in validator.batch_body(body())]
        ids = store.save(engine, rows)
        instruments.scored(r["churn_probability"] for r in rows)
        return json_response(
            {
                "predictions": [answered(r, i) for r, i in zip(rows, ids, strict=True)],
                "model_version": model.version,
            }
        )

    @app.get("/predictions")
    def list_predictions() -> Response:
        limit = query_integer("limit", limits["default_page_size"], 1, limits["max_page_size"])
        offset = query_integer("offset", 0, 0)
        items = store.page(engine, limit, offset)
        return json_response({"items": items, "limit": limit, "offset": offset})

    # The variable is named as in the contract's template: the route label is /predictions/{id}.
    @app.get("/predictions/<id>")
    def get_prediction(id: str) -> Response:
        if not INTEGER.match(id):
            msg = "Input should be a valid integer, unable to parse string as an integer"
            raise RequestValidationError([error(["path", "id"], "int_parsing", msg, id)])
        record = store.find(engine, int(id))
        if record is None:
            return json_response({"detail": f"no prediction with id {id}"}, 404)
        return json_response(record)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return Response(openapi_body, mimetype="application/json")

    @app.get("/docs")
    def docs() -> Response:
        return Response(DOCS_HTML, mimetype="text/html")

    @app.errorhandler(RequestValidationError)
    def unprocessable(exc: RequestValidationError) -> Response:
        return json_response({"detail": exc.errors}, 422)

    def database_down(exc: Exception) -> Response:
        # One line, no URL (it may carry a password); the next request tries again.
        log.warning("database unavailable", path=request.path, error=type(exc).__name__)
        response = json_response({"detail": "database unavailable, try again shortly"}, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    for kind in DATABASE_DOWN:
        app.register_error_handler(kind, database_down)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # 404, 405 (keeps its Allow header), 413 ...: JSON like FastAPI's {"detail": "Not Found"}.
        response = exc.get_response()
        response.set_data(json.dumps({"detail": exc.name}))
        response.mimetype = "application/json"
        return response

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> Response:  # a bug, never an expected path
        log.exception("unhandled error", path=request.path)
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
