"""The Starlette application: ``python -m app.launch`` (migrates, then ``uvicorn app.main:app``).

Bodies are read as bytes and decoded straight into msgspec records; answers are encoded by
msgspec too. Errors keep FastAPI's shapes (the contract's), so clients cannot tell the difference.
Every answered prediction is written to the ledger (PostgreSQL) before it is answered; a request
rejected by validation never reaches the database, and one that finds the database away gets 503.

Operability: ``RequestTracking`` (app/tracking.py) gives every answer an ``X-Request-ID``, counts
and times it and logs one JSON line for it; the handlers add what only they know (the predictions
stored); ``GET /metrics`` exposes the application's own registry (app/meters.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app.ledger import UNREACHABLE, Entry, Ledger
from app.ledger import WAIT_S as DATABASE_WAIT_S
from app.meters import EXPOSITION_TYPE, Meters
from app.openapi import DOCS_PAGE, build_document
from app.problems import Unprocessable, explain, not_json
from app.records import LARGEST_BATCH, Customer, any_json, feature_names, one_customer
from app.scoring import WeightTable
from app.tracking import RequestTracking

BODY_LIMIT = 4 * 1024 * 1024  # a full batch is ~0.6 MB
PAGE_DEFAULT, PAGE_MAX = 50, 100
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
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


def entry(table: WeightTable, customer: Customer) -> Entry:
    """The model's answer for one customer, as the ledger keeps it."""
    risk = table.risk(customer)
    handle = customer.customer_id
    features = msgspec.structs.asdict(customer)
    features.pop("customer_id")
    return Entry(
        customer_id=None if handle is msgspec.UNSET else handle,
        features=features,
        churn=table.flags(risk),
        churn_probability=risk,
        model_version=table.version,
    )


def receipt(record_id: int, kept: Entry) -> dict:
    """hw1's prediction plus the id of its record."""
    return {
        "id": record_id,
        "customer_id": kept.customer_id,
        "churn": kept.churn,
        "churn_probability": kept.churn_probability,
        "model_version": kept.model_version,
    }


def whole_number(raw: str, loc: list) -> int:
    if not WHOLE_NUMBER.fullmatch(raw.strip()):
        raise Unprocessable(
            [
                {
                    "loc": loc,
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "type": "int_parsing",
                }
            ]
        )
    return int(raw)


def bounded(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    """A query parameter within [low, high], or a 422 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = whole_number(raw, ["query", name])
    too_small = value < low
    if too_small or (high is not None and value > high):
        limit, kind = (
            (f"at least {low}", "greater_than_equal")
            if too_small
            else (f"at most {high}", "less_than_equal")
        )
        raise Unprocessable(
            [{"loc": ["query", name], "msg": f"Input should be {limit}", "type": kind}]
        )
    return value


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


async def ready(request: Request) -> Response:
    if not await request.app.state.ledger.alive():
        return answer({"detail": "database unreachable"}, 503)
    return answer({"status": "ok"})


async def predict(request: Request) -> Response:
    customer = decode_customer(await read_body(request))
    kept = entry(request.app.state.table, customer)
    [record_id] = await request.app.state.ledger.add([kept])
    request.app.state.meters.scored([(kept.churn, kept.churn_probability)])
    return answer(receipt(record_id, kept))


async def predict_batch(request: Request) -> Response:
    customers = decode_batch(await read_body(request))
    table = request.app.state.table
    kept = [entry(table, c) for c in customers]
    ids = await request.app.state.ledger.add(kept)
    request.app.state.meters.scored((k.churn, k.churn_probability) for k in kept)
    return answer(
        {
            "predictions": list(map(receipt, ids, kept)),
            "model_version": table.version,
        }
    )


async def list_predictions(request: Request) -> Response:
    limit = bounded(request, "limit", PAGE_DEFAULT, 1, PAGE_MAX)
    offset = bounded(request, "offset", 0, 0, None)
    items = await request.app.state.ledger.newest(limit, offset)
    return answer({"items": items, "limit": limit, "offset": offset})


async def one_prediction(request: Request) -> Response:
    record_id = whole_number(request.path_params["id"], ["path", "id"])
    record = await request.app.state.ledger.one(record_id)
    if record is None:
        return answer({"detail": f"no prediction with id {record_id}"}, 404)
    return answer(record)


async def metrics(request: Request) -> Response:
    return Response(request.app.state.meters.exposition(), media_type=EXPOSITION_TYPE)


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


async def database_away(request: Request, exc: Exception) -> Response:
    # One line, no address (it may carry a password): the next request tries again.
    log.warning(
        "%s %s: database unavailable (%s)", request.method, request.url.path, type(exc).__name__
    )
    return Response(
        encode({"detail": "database unavailable, try again shortly"}),
        status_code=503,
        headers={"Retry-After": "2"},
        media_type="application/json",
    )


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


def build(
    table: WeightTable | None = None,
    database_url: str | None = None,
    wait_s: float = DATABASE_WAIT_S,
) -> Starlette:
    """A fresh application; the lifespan reads the weight table (unless one is given) and opens
    the ledger's pool on ``database_url`` (default: ``$DATABASE_URL``, migrated by the launcher);
    a request waits at most ``wait_s`` for a database connection before it is a 503. Each
    application has its own metrics registry."""
    meters = Meters()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loaded = table or WeightTable.read()
        url = database_url or os.environ.get("DATABASE_URL")
        if not url:
            raise RuntimeError(
                "DATABASE_URL is not set: start the service with python -m app.launch"
            )
        app.state.ledger = Ledger(url, wait_s=wait_s)
        await app.state.ledger.open()
        app.state.card = card(loaded)
        app.state.document = build_document(loaded.version)
        app.state.table = loaded
        meters.serving(loaded.version)
        try:
            yield
        finally:
            app.state.table = None
            await app.state.ledger.close()

    application = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/model", model_card, methods=["GET"]),
            Route("/predict", predict, methods=["POST"]),
            Route("/predict/batch", predict_batch, methods=["POST"]),
            Route("/predictions", list_predictions, methods=["GET"]),
            Route("/predictions/{id}", one_prediction, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/docs", docs, methods=["GET"]),
        ],
        exception_handlers={
            Unprocessable: unprocessable,
            HTTPException: http_problem,
            **dict.fromkeys(UNREACHABLE, database_away),
        },
        middleware=[Middleware(RequestTracking, meters=meters, exempt="/metrics")],
        lifespan=lifespan,
    )
    application.state.meters = meters
    return application


app = build()
