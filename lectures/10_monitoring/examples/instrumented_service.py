"""A churn-scoring API instrumented with Prometheus metrics and JSON logs, scraped by itself.

The example trains the course's churn model, serves it with FastAPI + uvicorn on 127.0.0.1 (a free
port picked by the OS), sends a burst of valid and invalid requests, and scrapes ``/metrics``
before and after. It parses the Prometheus text exposition format, computes the counter and
histogram deltas the way ``increase()`` and ``histogram_quantile()`` would, and prints them next to
a few of the structured (JSON) log lines the service wrote.

Run it with ``uv run python lectures/10_monitoring/examples/instrumented_service.py``.
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
import math
import socket
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import uvicorn
from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find monitored_model.py
from monitored_model import DATA_PATH, FEATURES, build_pipeline

MODEL_VERSION = "churn-logreg-1.0.0"
THRESHOLD = 0.5

# Latency buckets (seconds). Pick them around your SLO: the p95 target of the service is 250 ms,
# so there is resolution below and above it. Prometheus can only interpolate inside a bucket.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Buckets for the model's output: the score distribution is the cheapest drift signal you have.
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------
def load_data(path: Path = DATA_PATH) -> pd.DataFrame:
    """Read the course's training table."""
    return pd.read_csv(path)


def train_model(df: pd.DataFrame, seed: int = 42) -> tuple[Pipeline, float]:
    """Fit OneHotEncoder + StandardScaler + LogisticRegression; return it and hold-out ROC-AUC."""
    x = df[FEATURES]
    y = (df["churn"] == "Yes").astype(int)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    model = build_pipeline()
    model.fit(x_tr, y_tr)
    auc = float(roc_auc_score(y_te, model.predict_proba(x_te)[:, 1]))
    return model, auc


class Customer(BaseModel):
    """One customer's features, as in the hw1 contract (unknown fields are rejected)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    female: int = Field(ge=0, le=1)
    senior_citizen: int = Field(ge=0, le=1)
    partner: int = Field(ge=0, le=1)
    dependents: int = Field(ge=0, le=1)
    tenure: int = Field(ge=0, le=120)
    phone_service: int = Field(ge=0, le=1)
    multiple_lines: str
    internet_service: str
    online_security: str
    online_backup: str
    device_protection: str
    tech_support: str
    streaming_tv: str
    streaming_movies: str
    contract: str
    paperless_billing: int = Field(ge=0, le=1)
    payment_method: str
    monthly_charges: float = Field(ge=0)
    total_charges: float | None = Field(default=None, ge=0)


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------
@dataclass
class Metrics:
    """The service's Prometheus metrics, registered in their own registry."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    in_flight: Gauge
    predictions: Counter
    score: Histogram
    model_info: Gauge


def build_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    """Create the metrics. A private registry keeps repeated runs in one process independent."""
    registry = registry or CollectorRegistry()
    requests = Counter(
        "churn_api_requests_total",
        "HTTP requests handled, by method, route template and status code.",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "churn_api_request_duration_seconds",
        "Time from receiving a request to sending the response.",
        ["route"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    in_flight = Gauge(
        "churn_api_in_flight_requests",
        "Requests currently being processed (a saturation signal).",
        registry=registry,
    )
    predictions = Counter(
        "churn_api_predictions_total",
        "Predictions served, by predicted class.",
        ["outcome"],
        registry=registry,
    )
    score = Histogram(
        "churn_api_churn_probability",
        "Distribution of the predicted churn probability (watch it for prediction drift).",
        buckets=SCORE_BUCKETS,
        registry=registry,
    )
    model_info = Gauge(
        "churn_api_model_info",
        "Always 1; the labels say which model version is loaded.",
        ["version"],
        registry=registry,
    )
    model_info.labels(version=MODEL_VERSION).set(1)
    return Metrics(registry, requests, latency, in_flight, predictions, score, model_info)


# --------------------------------------------------------------------------------------------
# Structured logging
# --------------------------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """Render each log record as one JSON object per line, with the current request id."""

    EXTRA_FIELDS = ("method", "route", "path", "status", "duration_ms", "churn_probability")

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record; fields passed via ``extra=`` become top-level keys."""
        payload: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        for key in self.EXTRA_FIELDS:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def make_logger(stream: io.TextIOBase) -> logging.Logger:
    """A logger named ``churn_api`` that writes JSON lines to ``stream`` only."""
    logger = logging.getLogger(f"churn_api.{uuid.uuid4().hex[:8]}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    return logger


# --------------------------------------------------------------------------------------------
# The application
# --------------------------------------------------------------------------------------------
def create_app(model: Pipeline, metrics: Metrics, logger: logging.Logger) -> FastAPI:
    """Build the FastAPI app: /health, /predict, and /metrics for Prometheus to scrape."""
    app = FastAPI(title="churn-api (instrumented)")

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        # The text exposition format, rendered from this app's registry on every scrape.
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path == "/metrics":
            return await call_next(request)  # do not measure the scrapes themselves
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        metrics.in_flight.inc()
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - start
            # Label with the route *template*, never the raw path: raw paths with ids in them
            # would create one time series per id (a cardinality explosion).
            route = getattr(request.scope.get("route"), "path", "unmatched")
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(route).observe(elapsed)
            metrics.in_flight.dec()
            logger.info(
                "request finished",
                extra={
                    "method": request.method,
                    "route": route,
                    "path": request.url.path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            REQUEST_ID.reset(token)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(customer: Customer) -> dict[str, object]:
        row = pd.DataFrame([customer.model_dump(exclude={"customer_id"})])[FEATURES]
        row["total_charges"] = row["total_charges"].astype(float)
        proba = float(model.predict_proba(row)[0, 1])
        churn = proba >= THRESHOLD
        metrics.predictions.labels("churn" if churn else "stay").inc()
        metrics.score.observe(proba)
        logger.info("prediction", extra={"churn_probability": round(proba, 4)})
        return {
            "customer_id": customer.customer_id,
            "churn": churn,
            "churn_probability": proba,
            "model_version": MODEL_VERSION,
        }

    return app


class BackgroundServer:
    """Run a uvicorn server in a thread on 127.0.0.1 and a port chosen by the OS."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, access_log=False, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), daemon=True)

    @property
    def base_url(self) -> str:
        """The URL clients should use."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # bounded wait for startup
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


# --------------------------------------------------------------------------------------------
# Reading the exposition format like Prometheus does
# --------------------------------------------------------------------------------------------
SampleKey = tuple[str, tuple[tuple[str, str], ...]]


def parse_exposition(text: str) -> dict[SampleKey, float]:
    """Parse Prometheus text format into {(sample name, sorted labels): value}."""
    samples: dict[SampleKey, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue  # creation timestamps, not measurements
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sum_samples(samples: dict[SampleKey, float], name: str, **labels: str) -> float:
    """Sum every sample called ``name`` whose labels include ``labels`` (like ``sum()``)."""
    total = 0.0
    for (sample_name, sample_labels), value in samples.items():
        if sample_name == name and set(labels.items()) <= set(sample_labels):
            total += value
    return total


def delta(
    before: dict[SampleKey, float], after: dict[SampleKey, float], name: str, **labels: str
) -> float:
    """How much a counter grew between two scrapes (what ``increase()`` estimates)."""
    return sum_samples(after, name, **labels) - sum_samples(before, name, **labels)


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """Estimate a quantile from cumulative ``(le, count)`` buckets, as PromQL does.

    Find the bucket where the rank ``q * total`` falls and interpolate linearly inside it,
    assuming observations are spread evenly in the bucket. If the rank falls in the ``+Inf``
    bucket, return the largest finite upper bound.
    """
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] == 0:
        return math.nan
    total = ordered[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for upper_bound, count in ordered:
        if count >= rank:
            if math.isinf(upper_bound):
                return lower_bound
            if count == lower_count:
                return upper_bound
            return lower_bound + (upper_bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = upper_bound, count
    return lower_bound


def bucket_deltas(
    before: dict[SampleKey, float], after: dict[SampleKey, float], name: str, **labels: str
) -> list[tuple[float, float]]:
    """Per-``le`` growth of a histogram's cumulative buckets between two scrapes."""
    les = {
        dict(lbls)["le"]
        for (sample_name, lbls) in after
        if sample_name == f"{name}_bucket" and set(labels.items()) <= set(lbls)
    }
    return sorted(
        (float(le), delta(before, after, f"{name}_bucket", le=le, **labels)) for le in les
    )


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------
@dataclass
class DemoReport:
    """What the demo observed; the tests assert on it."""

    auc: float
    n_valid: int
    n_invalid: int
    status_counts: dict[int, int]
    deltas: dict[str, float]
    p50_seconds: float
    p95_seconds: float
    echoed_request_ids: list[str]
    log_lines: list[dict[str, object]] = field(default_factory=list)
    metrics_text: str = ""


def customer_payloads(df: pd.DataFrame, n: int) -> list[dict[str, object]]:
    """Turn the first ``n`` rows into /predict request bodies."""
    rows = df.head(n)
    payloads = []
    for record in rows.to_dict(orient="records"):
        body = {key: record[key] for key in FEATURES}
        if pd.isna(body["total_charges"]):
            body["total_charges"] = None
        body["customer_id"] = f"cust-{int(record['row_id'])}"
        payloads.append(body)
    return payloads


def run_demo(n_valid: int = 40, n_invalid: int = 3) -> DemoReport:
    """Serve, send traffic, scrape twice and compute what Prometheus would compute."""
    df = load_data()
    model, auc = train_model(df)
    metrics = build_metrics()
    log_stream = io.StringIO()
    logger = make_logger(log_stream)
    app = create_app(model, metrics, logger)

    status_counts: dict[int, int] = {}
    echoed: list[str] = []
    with BackgroundServer(app) as server, httpx.Client(base_url=server.base_url, timeout=5.0) as c:
        before = parse_exposition(c.get("/metrics").text)
        for i, body in enumerate(customer_payloads(df, n_valid)):
            r = c.post("/predict", json=body, headers={"X-Request-ID": f"demo-{i:04d}"})
            status_counts[r.status_code] = status_counts.get(r.status_code, 0) + 1
            echoed.append(r.headers.get("x-request-id", ""))
        bad = customer_payloads(df, 1)[0] | {"tenure": -5}
        for i in range(n_invalid):
            r = c.post("/predict", json=bad, headers={"X-Request-ID": f"bad-{i:04d}"})
            status_counts[r.status_code] = status_counts.get(r.status_code, 0) + 1
        status_counts[c.get("/health").status_code] += 1
        missing = c.get("/customers/12345")  # unmatched route: label must not contain the id
        status_counts[missing.status_code] = status_counts.get(missing.status_code, 0) + 1
        after_text = c.get("/metrics").text
    after = parse_exposition(after_text)

    deltas = {
        "predict_200": delta(
            before, after, "churn_api_requests_total", route="/predict", status="200"
        ),
        "predict_422": delta(
            before, after, "churn_api_requests_total", route="/predict", status="422"
        ),
        "health_200": delta(before, after, "churn_api_requests_total", route="/health"),
        "unmatched_404": delta(
            before, after, "churn_api_requests_total", route="unmatched", status="404"
        ),
        "latency_count_predict": delta(
            before, after, "churn_api_request_duration_seconds_count", route="/predict"
        ),
        "latency_sum_predict": delta(
            before, after, "churn_api_request_duration_seconds_sum", route="/predict"
        ),
        "predictions_churn": delta(before, after, "churn_api_predictions_total", outcome="churn"),
        "predictions_stay": delta(before, after, "churn_api_predictions_total", outcome="stay"),
        "score_count": delta(before, after, "churn_api_churn_probability_count"),
        "in_flight_after": sum_samples(after, "churn_api_in_flight_requests"),
        "model_info": sum_samples(after, "churn_api_model_info", version=MODEL_VERSION),
    }
    buckets = bucket_deltas(before, after, "churn_api_request_duration_seconds", route="/predict")
    logs = [json.loads(line) for line in log_stream.getvalue().splitlines() if line.strip()]
    return DemoReport(
        auc=auc,
        n_valid=n_valid,
        n_invalid=n_invalid,
        status_counts=status_counts,
        deltas=deltas,
        p50_seconds=histogram_quantile(0.5, buckets),
        p95_seconds=histogram_quantile(0.95, buckets),
        echoed_request_ids=echoed,
        log_lines=logs,
        metrics_text=after_text,
    )


def print_report(report: DemoReport) -> None:
    """Print what a dashboard would show for the demo's traffic."""
    print(f"model trained: hold-out ROC-AUC = {report.auc:.3f}")
    print(f"client saw status codes: {dict(sorted(report.status_counts.items()))}")
    print("\nincrease() between the two scrapes:")
    for name, value in report.deltas.items():
        print(f"  {name:<24} {value:10.4f}")
    error_ratio = report.deltas["predict_422"] / (
        report.deltas["predict_200"] + report.deltas["predict_422"]
    )
    churn_share = report.deltas["predictions_churn"] / report.deltas["score_count"]
    print(f"\n4xx share on /predict: {error_ratio:.1%} (client errors; 5xx would page someone)")
    print(f"share of customers predicted to churn: {churn_share:.1%}")
    print(
        f"latency from histogram buckets: p50 ~ {report.p50_seconds * 1000:.1f} ms, "
        f"p95 ~ {report.p95_seconds * 1000:.1f} ms"
    )
    print("\nthree of the service's JSON log lines:")
    for line in [report.log_lines[0], report.log_lines[1], report.log_lines[-1]]:
        print("  " + json.dumps(line))
    print("\nexcerpt of /metrics:")
    for line in report.metrics_text.splitlines():
        if line.startswith(("churn_api_requests_total{", "# TYPE churn_api_requests_total")):
            print("  " + line)


def main() -> None:
    """Run the demo and print the report."""
    print_report(run_demo())


if __name__ == "__main__":
    main()
