"""REST design on the churn data: resources, versioning, pagination, errors and idempotency.

A FastAPI app exposes the course customers as resources:

* ``GET /v1/customers?limit=&cursor=``: a collection with cursor pagination and a Link header;
* ``GET /v1/customers/{id}`` and ``GET /v1/customers/{id}/churn-score``: one resource and a
  computed sub-resource; ``/v2/.../churn-score`` shows a breaking change behind a new version;
* ``POST /v1/scoring-jobs`` with an ``Idempotency-Key`` header: safe to retry;
  ``GET``/``DELETE /v1/scoring-jobs/{id}``: read and remove the job;
* errors as RFC 9457 ``application/problem+json`` documents.

The demo runs the app with uvicorn on 127.0.0.1 (port chosen by the OS) and calls it with httpx.

Usage::

    uv run python lectures/03_networks_and_apis/examples/rest_design.py
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import churn_scorer
import httpx
import uvicorn
from fastapi import FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
MAX_PAGE = 100


class Problem(Exception):
    """An error that becomes an RFC 9457 problem document."""

    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank") -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.type_ = status, title, detail, type_


def problem_response(
    request: Request, status: int, title: str, detail: str, type_: str
) -> JSONResponse:
    """Render a problem document; ``instance`` names the request that failed."""
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    body["instance"] = request.url.path
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def encode_cursor(after_id: int) -> str:
    """Opaque cursor: clients must not build or parse it, so we are free to change it."""
    return base64.urlsafe_b64encode(json.dumps({"after": after_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Inverse of :func:`encode_cursor`; raises ``Problem(400)`` for anything malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded))["after"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise Problem(400, "Bad Request", f"malformed cursor: {error}") from None


class JobRequest(BaseModel):
    """Body of POST /v1/scoring-jobs."""

    model_config = ConfigDict(extra="forbid")
    customer_ids: list[int] = Field(min_length=1, max_length=1000)


def create_app(
    model: churn_scorer.ChurnModel, customers: dict[int, churn_scorer.Customer]
) -> FastAPI:
    """Build the app around an already trained model (dependency injection for tests)."""
    app = FastAPI(title="Churn REST design demo", version="1.0.0")
    ordered_ids = sorted(customers)
    jobs: dict[str, dict[str, Any]] = {}
    idempotency: dict[str, tuple[str, str]] = {}  # key -> (request fingerprint, job id)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.title, exc.detail, exc.type_)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = "Not Found" if exc.status_code == 404 else "HTTP error"
        return problem_response(request, exc.status_code, title, str(exc.detail), "about:blank")

    def get_customer(customer_id: int) -> churn_scorer.Customer:
        """Look a customer up or raise a 404 problem."""
        if customer_id not in customers:
            raise Problem(404, "Not Found", f"customer {customer_id} does not exist")
        return customers[customer_id]

    @app.get("/v1/customers")
    def list_customers(
        response: Response,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of customers, ordered by id; follow ``next_cursor`` for the next page."""
        after = decode_cursor(cursor) if cursor else -1
        page = [i for i in ordered_ids if i > after][:limit]
        has_more = bool(page) and page[-1] != ordered_ids[-1]
        next_cursor = encode_cursor(page[-1]) if has_more else None
        if next_cursor:
            response.headers["Link"] = (
                f'</v1/customers?limit={limit}&cursor={next_cursor}>; rel="next"'
            )
        items = [{"id": i, **customers[i], "self": f"/v1/customers/{i}"} for i in page]
        return {"items": items, "next_cursor": next_cursor}

    @app.get("/v1/customers/{customer_id}")
    def read_customer(customer_id: int) -> dict[str, Any]:
        """A single customer resource."""
        return {"id": customer_id, **get_customer(customer_id)}

    @app.get("/v1/customers/{customer_id}/churn-score")
    def churn_score_v1(customer_id: int, response: Response) -> dict[str, Any]:
        """Version 1 of the score: flat fields, kept working for existing clients."""
        prediction = model.predict({**get_customer(customer_id), "customer_id": str(customer_id)})
        response.headers["Link"] = (
            f'</v2/customers/{customer_id}/churn-score>; rel="successor-version"'
        )
        return prediction

    @app.get("/v2/customers/{customer_id}/churn-score")
    def churn_score_v2(customer_id: int) -> dict[str, Any]:
        """Version 2 restructures the body: a breaking change, hence a new version."""
        probability = model.predict_proba([get_customer(customer_id)])[0]
        return {
            "customer_id": str(customer_id),
            "score": {
                "probability": round(probability, 6),
                "label": "churn" if probability >= churn_scorer.THRESHOLD else "stay",
                "threshold": churn_scorer.THRESHOLD,
            },
            "model": {"name": model.name, "version": model.version},
        }

    @app.post("/v1/scoring-jobs", status_code=201)
    def create_job(
        body: JobRequest,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
    ) -> dict[str, Any]:
        """Score a list of customers. With an Idempotency-Key, retries never duplicate work."""
        fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        if idempotency_key is not None and idempotency_key in idempotency:
            seen_fingerprint, job_id = idempotency[idempotency_key]
            if seen_fingerprint != fingerprint:
                raise Problem(
                    422,
                    "Idempotency key reused",
                    "this Idempotency-Key was already used with a different request body",
                    "/problems/idempotency-key-reuse",
                )
            response.headers["Location"] = f"/v1/scoring-jobs/{job_id}"
            response.headers["Idempotent-Replayed"] = "true"
            return jobs[job_id]

        unknown = [i for i in body.customer_ids if i not in customers]
        if unknown:
            raise Problem(422, "Unknown customers", f"no customers with ids {unknown[:10]}")
        job_id = f"job-{len(jobs) + 1}"
        scores = model.predict_proba([customers[i] for i in body.customer_ids])
        jobs[job_id] = {
            "id": job_id,
            "status": "done",
            "results": [
                {"customer_id": i, "churn_probability": round(p, 6)}
                for i, p in zip(body.customer_ids, scores, strict=True)
            ],
        }
        if idempotency_key is not None:
            idempotency[idempotency_key] = (fingerprint, job_id)
        response.headers["Location"] = f"/v1/scoring-jobs/{job_id}"
        return jobs[job_id]

    @app.get("/v1/scoring-jobs/{job_id}")
    def read_job(job_id: str) -> dict[str, Any]:
        """Read a job back."""
        if job_id not in jobs:
            raise Problem(404, "Not Found", f"job {job_id} does not exist")
        return jobs[job_id]

    @app.delete("/v1/scoring-jobs/{job_id}", status_code=204)
    def delete_job(job_id: str) -> Response:
        """Delete a job; deleting it again is a 404 but leaves the same state (idempotent)."""
        if jobs.pop(job_id, None) is None:
            raise Problem(404, "Not Found", f"job {job_id} does not exist")
        return Response(status_code=204)

    return app


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on 127.0.0.1 and a free port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def client(base_url: str) -> httpx.Client:
    """An httpx client that ignores proxy variables, so it only ever talks to ``base_url``."""
    return httpx.Client(base_url=base_url, timeout=5.0, trust_env=False)


def demo(base_url: str) -> list[tuple[str, int, Any]]:
    """A scripted tour of the API; returns (label, status, interesting part) triples."""
    out: list[tuple[str, int, Any]] = []
    with client(base_url) as http:
        first = http.get("/v1/customers", params={"limit": 3})
        page = first.json()
        out.append(("GET page 1", first.status_code, [c["id"] for c in page["items"]]))
        out.append(("  Link header", first.status_code, first.headers.get("link")))
        second = http.get("/v1/customers", params={"limit": 3, "cursor": page["next_cursor"]})
        out.append(("GET page 2", second.status_code, [c["id"] for c in second.json()["items"]]))
        bad = http.get("/v1/customers", params={"cursor": "%%%"})
        out.append(("GET bad cursor", bad.status_code, bad.headers["content-type"]))

        v1 = http.get("/v1/customers/5/churn-score")
        out.append(("GET v1 score", v1.status_code, v1.json()))
        v2 = http.get("/v2/customers/5/churn-score")
        out.append(("GET v2 score", v2.status_code, v2.json()["score"]))
        missing = http.get("/v1/customers/999999")
        out.append(("GET missing", missing.status_code, missing.json()))

        key = {"Idempotency-Key": "4f1c-demo-0001"}
        body = {"customer_ids": [2, 5, 7]}
        created = http.post("/v1/scoring-jobs", json=body, headers=key)
        out.append(("POST job", created.status_code, created.headers.get("location")))
        retried = http.post("/v1/scoring-jobs", json=body, headers=key)
        replayed = retried.headers.get("idempotent-replayed")
        out.append(("POST retry (same key)", retried.status_code, replayed))
        reused = http.post("/v1/scoring-jobs", json={"customer_ids": [8]}, headers=key)
        out.append(("POST same key, new body", reused.status_code, reused.json()["title"]))
        invalid = http.post("/v1/scoring-jobs", json={"customer_ids": []})
        out.append(("POST empty list", invalid.status_code, invalid.json()["detail"][0]["type"]))

        deleted = http.delete(created.headers["location"])
        out.append(("DELETE job", deleted.status_code, deleted.text))
        again = http.delete(created.headers["location"])
        out.append(("DELETE again", again.status_code, again.json()["detail"]))
    return out


def main() -> None:
    """Train the model, serve the API on loopback and print the scripted tour."""
    model = churn_scorer.train()
    customers = {row_id: c for row_id, c, _ in churn_scorer.load_customers()}
    with serve(create_app(model, customers)) as base_url:
        print(f"serving on {base_url} (OpenAPI document at {base_url}/openapi.json)")
        for label, status, detail in demo(base_url):
            print(f"{label:<24} {status}  {detail}")


if __name__ == "__main__":
    main()
