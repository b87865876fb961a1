"""A tiny FastAPI churn service, started with uvicorn on 127.0.0.1 and queried with httpx.

What it shows:

* request validation with pydantic (a wrong category or a negative tenure gets a 422, not a 500);
* loading the model once, in the application's lifespan, so /health answers only when ready;
* the OpenAPI document FastAPI writes for you (Swagger UI would be at /docs);
* where the latency of one HTTP prediction goes: the server reports the time spent in the
  model in a `Server-Timing` header, the client measures the whole round trip.

The server binds a free port on 127.0.0.1 only and is shut down at the end.

Run: uv run python lectures/04_services_in_python/examples/fastapi_service.py
"""

from __future__ import annotations

import socket
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field, Strict
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find churn_model.py
from churn_model import DATA, FEATURES, NUMERIC, train_from_csv

MODEL_VERSION = "lecture04-demo"

AS_FLOAT = dict.fromkeys(NUMERIC, float)

# A strict integer, not Literal[0, 1]: the Literal would accept JSON true (True == 1 in Python).
Flag = Annotated[int, Strict(), Field(ge=0, le=1)]
InternetAddOn = Literal["No", "No internet service", "Yes"]


class Customer(BaseModel):
    """One customer's features; unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    female: Flag
    senior_citizen: Flag
    partner: Flag
    dependents: Flag
    tenure: int = Field(ge=0, le=120, description="months with the company")
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
    monthly_charges: float = Field(ge=0, le=10_000)
    total_charges: float | None = Field(ge=0, le=200_000, description="null when tenure is 0")


class Prediction(BaseModel):
    """The service's answer for one customer."""

    customer_id: str | None
    churn: bool
    churn_probability: float = Field(ge=0, le=1)
    model_version: str


def create_app(load_model: Callable[[], Pipeline], threshold: float = 0.5) -> FastAPI:
    """Build the application; `load_model` runs once at startup, before traffic is accepted."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = load_model()
        yield
        app.state.model = None

    app = FastAPI(title="Churn service (lecture 4 demo)", version="0.1.0", lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness/readiness: the lifespan has loaded the model."""
        return {"status": "ok"}

    @app.post("/predict", response_model=Prediction)
    def predict(customer: Customer, request: Request, response: Response) -> Prediction:
        """Churn probability for one customer."""
        start = time.perf_counter()
        # Cast numerics to float: a JSON null must become NaN for the imputer to see it.
        # Left as None, the column is dtype object and the pipeline fails on new customers.
        row = pd.DataFrame([customer.model_dump(exclude={"customer_id"})]).astype(AS_FLOAT)
        probability = float(request.app.state.model.predict_proba(row)[0, 1])
        model_ms = (time.perf_counter() - start) * 1e3
        response.headers["Server-Timing"] = f"model;dur={model_ms:.3f}"
        return Prediction(
            customer_id=customer.customer_id,
            churn=probability >= threshold,
            churn_probability=probability,
            model_version=MODEL_VERSION,
        )

    return app


@contextmanager
def serve_in_background(app: FastAPI, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run uvicorn in a thread on a free 127.0.0.1 port; yield the base URL; always shut down."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start in time")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        sock.close()


def example_customers(n: int) -> list[dict[str, Any]]:
    """`n` request bodies: the first n-1 training rows plus one new customer (tenure 0)."""
    frame = pd.read_csv(DATA)
    frame = pd.concat([frame.head(n - 1), frame[frame["tenure"] == 0].head(1)])
    records = []
    for row in frame.to_dict(orient="records"):
        body = {c: row[c] for c in FEATURES}
        body["total_charges"] = None if pd.isna(body["total_charges"]) else body["total_charges"]
        body["customer_id"] = f"row-{row['row_id']}"
        records.append(body)
    return records


def run_demo(n_requests: int = 100) -> dict[str, Any]:
    """Start the service, exercise every endpoint and measure request latency percentiles."""
    model = train_from_csv()
    app = create_app(lambda: model)
    customers = example_customers(5)
    result: dict[str, Any] = {}
    with serve_in_background(app) as base_url, httpx.Client(base_url=base_url, timeout=5) as http:
        result["base_url"] = base_url
        result["health"] = http.get("/health").json()

        answers = [http.post("/predict", json=c).json() for c in customers]
        result["predictions"] = answers
        rows = [{k: v for k, v in c.items() if k != "customer_id"} for c in customers]
        offline = model.predict_proba(pd.DataFrame(rows).astype(AS_FLOAT))[:, 1]
        result["max_abs_diff_vs_offline"] = float(
            np.max(np.abs(np.array([a["churn_probability"] for a in answers]) - offline))
        )

        bad = dict(customers[0], contract="Two years", tenure=-1)
        invalid = http.post("/predict", json=bad)
        result["invalid_status"] = invalid.status_code
        result["invalid_fields"] = sorted(str(e["loc"][-1]) for e in invalid.json()["detail"])

        spec = http.get("/openapi.json").json()
        result["openapi_paths"] = sorted(spec["paths"])
        result["openapi_version"] = spec["openapi"]

        total_ms, model_ms = [], []
        for i in range(n_requests):
            start = time.perf_counter()
            reply = http.post("/predict", json=customers[i % len(customers)])
            total_ms.append((time.perf_counter() - start) * 1e3)
            reply.raise_for_status()
            model_ms.append(float(reply.headers["Server-Timing"].split("dur=")[1]))
    result["latency_ms"] = {
        "p50": float(np.percentile(total_ms, 50)),
        "p95": float(np.percentile(total_ms, 95)),
        "p99": float(np.percentile(total_ms, 99)),
        "model_p50": statistics.median(model_ms),
    }
    return result


def main() -> None:
    """Run the demo and print what happened."""
    result = run_demo()
    print(f"served at {result['base_url']}; GET /health -> {result['health']}")
    for answer in result["predictions"]:
        print(
            f"POST /predict {answer['customer_id']:>9}: p(churn)={answer['churn_probability']:.3f}"
            f" churn={answer['churn']}"
        )
    print(f"HTTP answers vs offline pipeline, max |diff|: {result['max_abs_diff_vs_offline']:.1e}")
    print(f"invalid body -> {result['invalid_status']}, fields: {result['invalid_fields']}")
    print(f"OpenAPI {result['openapi_version']} paths: {result['openapi_paths']}")
    lat = result["latency_ms"]
    print(
        f"round trip p50={lat['p50']:.2f} ms p95={lat['p95']:.2f} ms p99={lat['p99']:.2f} ms; "
        f"DataFrame + pipeline alone p50={lat['model_p50']:.2f} ms"
    )
    share = lat["model_p50"] / lat["p50"]
    print(f"the model is {share:.0%} of the median request; the rest is HTTP, JSON, validation")


if __name__ == "__main__":
    main()
