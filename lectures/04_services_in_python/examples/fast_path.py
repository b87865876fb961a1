"""One churn model, two /predict endpoints: FastAPI's idiomatic way and a raw-body fast path.

Once the model costs microseconds (the precomputed scorer of `latency_gap.py`), the framework's
own work is most of a request. This example puts the two ways of writing the same endpoint side
by side in one application:

* `POST /predict`, the way FastAPI's documentation teaches: a typed `Customer` body parameter and
  a `Prediction` return annotation. FastAPI reads the body, decodes it with `json.loads` into
  Python objects, validates those objects against `Customer`, calls the handler, then validates
  the returned `Prediction` against the response model and serialises it.
* `POST /predict/fast`, the raw-body fast path: the handler takes the `Request`, validates the
  raw bytes with `Customer.model_validate_json` (pydantic parses and validates in one pass, in
  Rust) and returns `Prediction.model_dump_json()` as the response body itself. No Python
  objects in between, no second validation of the answer.

Both give the same predictions and the same 422 body for invalid customers (the tests check it).
What the fast path gives up is the subject of the lecture's "Measured: the cost of the framework"
section: the request schema in the OpenAPI document (`openapi_extra` puts it back by hand) and its
documented 422, the content-type check, FastAPI's error location for malformed JSON, and the
response validation.

Run: uv run python lectures/04_services_in_python/examples/fast_path.py
Serve (as benchmarks/hw1_serving.py does):
    uv run uvicorn fast_path:app --app-dir lectures/04_services_in_python/examples --no-access-log
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find the shared modules
from churn_model import DATA, FEATURES, train_from_csv
from latency_gap import FastChurnScorer

MODEL_VERSION = "lecture04-fast-path"

# Strict types, as in the hw1 contract: "12" is not a tenure, and true is not a 0/1 flag
# (Literal[0, 1] would accept true, because True == 1 in Python).
Flag = Annotated[StrictInt, Field(ge=0, le=1)]
InternetAddOn = Literal["No", "No internet service", "Yes"]


class Customer(BaseModel):
    """One customer's 19 features; unknown fields are rejected, types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # Optional, but never null (as in the hw1 contract): the None default is not validated.
    customer_id: str = Field(default=None, min_length=1, max_length=64)  # type: ignore[assignment]
    female: Flag
    senior_citizen: Flag
    partner: Flag
    dependents: Flag
    tenure: StrictInt = Field(ge=0, le=120)
    phone_service: Flag
    multiple_lines: Literal["No", "No phone service", "Yes"]
    internet_service: Literal["DSL", "Fiber optic", "No"]
    online_security: InternetAddOn
    online_backup: InternetAddOn
    device_protection: InternetAddOn
    tech_support: InternetAddOn
    streaming_tv: InternetAddOn
    streaming_movies: InternetAddOn
    contract: Literal["Month-to-month", "One year", "Two year"]
    paperless_billing: Flag
    payment_method: Literal[
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ]
    monthly_charges: float = Field(ge=0, le=1000, allow_inf_nan=False)
    total_charges: float | None = Field(ge=0, le=200_000, allow_inf_nan=False)


class Prediction(BaseModel):
    """The answer for one customer."""

    customer_id: str | None
    churn: bool
    churn_probability: float = Field(ge=0, le=1)
    model_version: str


async def get_scorer(request: Request) -> FastChurnScorer:
    """The scorer the lifespan built (`async`: a plain `def` dependency runs in a thread pool)."""
    return request.app.state.scorer


ScorerDep = Annotated[FastChurnScorer, Depends(get_scorer)]


def score(scorer: FastChurnScorer, customer: Customer) -> Prediction:
    """The prediction for one validated customer (the id is echoed, never scored)."""
    probability = scorer.predict_proba(customer.model_dump())
    return Prediction(
        customer_id=customer.customer_id,
        churn=probability >= 0.5,
        churn_probability=probability,
        model_version=MODEL_VERSION,
    )


async def validation_exception_handler(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    """FastAPI's 422, minus `input` echoes JSON cannot carry (NaN, Infinity, lone surrogates)."""
    try:
        return await request_validation_exception_handler(request, exc)
    except ValueError:
        errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": jsonable_encoder(errors)},
        )


def create_app(scorer: FastChurnScorer | None = None) -> FastAPI:
    """The application; without a `scorer`, the lifespan trains one from data/train.csv."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scorer is None:
            app.state.scorer = FastChurnScorer.from_pipeline(train_from_csv())
        yield

    app = FastAPI(title="Churn service: idiomatic vs fast path (lecture 4)", lifespan=lifespan)
    if scorer is not None:
        app.state.scorer = scorer
    app.add_exception_handler(RequestValidationError, validation_exception_handler)

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Ready once the lifespan has built the scorer."""
        return {"status": "ok"}

    @app.post("/predict")
    async def predict(customer: Customer, scorer: ScorerDep) -> Prediction:
        """The idiomatic endpoint: FastAPI parses, validates and serialises."""
        return score(scorer, customer)

    # The fast path documents its body by hand: FastAPI cannot see a schema it does not parse.
    body_schema = {"$ref": "#/components/schemas/Customer"}
    documented_body = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}
    }

    @app.post("/predict/fast", response_model=Prediction, openapi_extra=documented_body)
    async def predict_fast(request: Request) -> Response:
        """The fast path: validate the raw bytes, return the serialised answer as it is."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send application/json")
        try:
            customer = Customer.model_validate_json(await request.body())
        except ValidationError as exc:
            # FastAPI's error shape: every loc starts with "body", no documentation URLs.
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None
        prediction = score(request.app.state.scorer, customer)
        return Response(prediction.model_dump_json(), media_type="application/json")

    return app


app = create_app()


def example_bodies(n: int) -> list[bytes]:
    """`n` request bodies from the first training rows, as JSON bytes."""
    import pandas as pd  # only the demo needs pandas here; the service does not

    frame = pd.read_csv(DATA).head(n)
    bodies = []
    for row in frame.to_dict(orient="records"):
        record: dict[str, Any] = {c: row[c] for c in FEATURES}
        record["total_charges"] = None if pd.isna(row["total_charges"]) else row["total_charges"]
        record["customer_id"] = f"row-{row['row_id']}"
        bodies.append(Customer.model_validate(record).model_dump_json().encode())
    return bodies


async def asgi_call(application: FastAPI, method: str, path: str, body: bytes = b"") -> bytes:
    """One request straight through the ASGI interface (no server, no socket); the body sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "app": application,
    }
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await application(scope, receive, send)
    return b"".join(chunks)


def time_in_process(repeats: int = 1000) -> dict[str, float]:
    """Median microseconds per request of /health, /predict and /predict/fast, without HTTP."""
    application = create_app(FastChurnScorer.from_pipeline(train_from_csv()))
    body = example_bodies(1)[0]
    requests = {
        "health": ("GET", "/health", b""),
        "predict": ("POST", "/predict", body),
        "predict_fast": ("POST", "/predict/fast", body),
    }

    async def measure() -> dict[str, float]:
        times: dict[str, list[float]] = {name: [] for name in requests}
        for _ in range(repeats):
            for name, (method, path, payload) in requests.items():  # interleaved
                start = time.perf_counter()
                await asgi_call(application, method, path, payload)
                times[name].append(time.perf_counter() - start)
        return {name: statistics.median(values) * 1e6 for name, values in times.items()}

    return asyncio.run(measure())


def main() -> None:
    """Show that both endpoints agree, then time them in-process."""
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        for body in example_bodies(3):
            slow = client.post(
                "/predict", content=body, headers={"content-type": "application/json"}
            )
            fast = client.post(
                "/predict/fast", content=body, headers={"content-type": "application/json"}
            )
            same = "same" if slow.json() == fast.json() else "DIFFERENT"
            print(
                f"{slow.json()['customer_id']:>7}: p(churn)={fast.json()['churn_probability']:.4f} ({same})"
            )
    figures = time_in_process()
    print("in-process, median per request (ASGI call, no HTTP):")
    for name, micros in figures.items():
        print(f"  {name:<13} {micros:7.1f} us")
    print("over HTTP with a load generator: uv run python benchmarks/hw1_serving.py")


if __name__ == "__main__":
    main()
