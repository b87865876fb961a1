"""The Starlette application: ``uvicorn app.main:app``.

Bodies are read as bytes and decoded straight into msgspec records; answers are encoded by
msgspec too. Errors keep FastAPI's shapes (the contract's), so clients cannot tell the difference.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app.openapi import DOCS_PAGE, build_document
from app.problems import Unprocessable, explain, not_json
from app.records import LARGEST_BATCH, Customer, any_json, feature_names, one_customer
from app.scoring import WeightTable

BODY_LIMIT = 4 * 1024 * 1024  # a full batch is ~0.6 MB
log = logging.getLogger("churn")
encode = msgspec.json.Encoder().encode


def answer(payload: object, status: int = 200) -> Response:
    return Response(encode(payload), status_code=status, media_type="application/json")


async def read_body(request: Request) -> bytes:
    """The raw body, refusing non-JSON media types and bodies above BODY_LIMIT."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise HTTPException(415, "Send the body as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > BODY_LIMIT:
        raise HTTPException(413, "Request body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > BODY_LIMIT:
            raise HTTPException(413, "Request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def prediction(table: WeightTable, customer: Customer) -> dict:
    risk = table.risk(customer)
    handle = customer.customer_id
    return {
        "customer_id": None if handle is msgspec.UNSET else handle,
        "churn": table.flags(risk),
        "churn_probability": risk,
        "model_version": table.version,
    }


def decode_customer(body: bytes) -> Customer:
    try:
        return one_customer.decode(body)
    except msgspec.ValidationError as exc:
        raise explain(exc, ["body"]) from exc
    except msgspec.DecodeError as exc:
        raise not_json(str(exc)) from exc


def decode_batch(body: bytes) -> list[Customer]:
    """The envelope first (so a missing ``customers`` is named), then every customer."""
    try:
        envelope = any_json.decode(body)
    except msgspec.DecodeError as exc:
        raise not_json(str(exc)) from exc
    if not isinstance(envelope, dict):
        raise Unprocessable([{"loc": ["body"], "msg": "Expected an object", "type": "dict_type"}])
    if "customers" not in envelope:
        raise Unprocessable(
            [{"loc": ["body", "customers"], "msg": "Field required", "type": "missing"}]
        )
    extra = sorted(set(envelope) - {"customers"})
    if extra:
        raise Unprocessable(
            [
                {
                    "loc": ["body", extra[0]],
                    "msg": "Extra inputs are not permitted",
                    "type": "extra_forbidden",
                }
            ]
        )
    customers = envelope["customers"]
    if isinstance(customers, list) and not 1 <= len(customers) <= LARGEST_BATCH:
        raise Unprocessable(
            [
                {
                    "loc": ["body", "customers"],
                    "msg": f"Send 1 to {LARGEST_BATCH} customers",
                    "type": "too_long" if customers else "too_short",
                }
            ]
        )
    try:
        return msgspec.convert(customers, list[Customer])
    except msgspec.ValidationError as exc:
        raise explain(exc, ["body", "customers"]) from exc


async def health(request: Request) -> Response:
    if getattr(request.app.state, "table", None) is None:
        return answer({"status": "loading"}, 503)
    return answer({"status": "ok"})


async def model_card(request: Request) -> Response:
    return answer(request.app.state.card)


async def predict(request: Request) -> Response:
    customer = decode_customer(await read_body(request))
    return answer(prediction(request.app.state.table, customer))


async def predict_batch(request: Request) -> Response:
    customers = decode_batch(await read_body(request))
    table = request.app.state.table
    return answer(
        {"predictions": [prediction(table, c) for c in customers], "model_version": table.version}
    )


async def openapi(request: Request) -> Response:
    return answer(request.app.state.document)


async def docs(request: Request) -> Response:
    return HTMLResponse(DOCS_PAGE)


async def unprocessable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unprocessable)
    return answer({"detail": exc.items}, 422)


async def http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return Response(
        encode({"detail": exc.detail}),
        status_code=exc.status_code,
        headers=exc.headers,
        media_type="application/json",
    )


async def crashed(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return answer({"detail": "Internal Server Error"}, 500)


def card(table: WeightTable) -> dict:
    """The /model answer: the features come from the record type itself."""
    schema = msgspec.json.schema(Customer)
    properties = schema["$defs"]["Customer"]["properties"]
    features = []
    for name in feature_names():
        spec = properties[name]
        options = spec.get("anyOf", [spec])
        first = next(o for o in options if o.get("type") != "null")
        entry = {"name": name, "type": first.get("type", "string"), "nullable": len(options) > 1}
        for key in ("enum", "minimum", "maximum"):
            if key in first:
                entry["allowed" if key == "enum" else key] = first[key]
        features.append(entry)
    return {
        "name": table.name,
        "version": table.version,
        "threshold": table.cutoff,
        "features": features,
        "metrics": table.golden,
    }


def build(table: WeightTable | None = None) -> Starlette:
    """A fresh application; the weight table is read in the lifespan unless one is given."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loaded = table or WeightTable.read()
        app.state.card = card(loaded)
        app.state.document = build_document(loaded.version)
        app.state.table = loaded
        yield

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/model", model_card, methods=["GET"]),
            Route("/predict", predict, methods=["POST"]),
            Route("/predict/batch", predict_batch, methods=["POST"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/docs", docs, methods=["GET"]),
        ],
        exception_handlers={
            Unprocessable: unprocessable,
            HTTPException: http_problem,
            Exception: crashed,
        },
        lifespan=lifespan,
    )


app = build()
