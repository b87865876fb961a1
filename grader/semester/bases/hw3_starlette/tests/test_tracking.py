"""The tracking middleware on a small application of its own: crashes, streams, the gauge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.meters import Meters
from app.tracking import RequestTracking, request_id, route_label


def small_app(meters: Meters) -> Starlette:
    async def boom(request: Request) -> Response:
        raise RuntimeError("kaput")

    async def busy(request: Request) -> Response:
        return JSONResponse(
            {"in_flight": meters.registry.get_sample_value("http_requests_in_progress")}
        )

    async def halfway(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            raise RuntimeError("the stream broke")

        return StreamingResponse(chunks())

    async def streamed(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for part in (b"a", b"b", b"c"):
                yield part

        return StreamingResponse(chunks(), media_type="text/plain")

    return Starlette(
        routes=[
            Route("/boom", boom),
            Route("/busy", busy),
            Route("/halfway", halfway),
            Route("/streamed/{part}", streamed),
        ],
        middleware=[Middleware(RequestTracking, meters=meters)],
    )


@pytest.fixture
def meters() -> Meters:
    return Meters()


def count(meters: Meters, route: str, status: str, method: str = "GET") -> float:
    labels = {"method": method, "route": route, "status": status}
    return meters.registry.get_sample_value("http_requests_total", labels) or 0.0


def test_an_unhandled_error_is_a_json_500_with_the_id_counted_and_logged(meters, lines) -> None:
    with TestClient(small_app(meters)) as client:
        reply = client.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert reply.status_code == 500
    assert reply.json() == {"detail": "Internal Server Error"}
    assert reply.headers["x-request-id"] == "crash-1"
    assert count(meters, "/boom", "500") == 1
    mine = [line for line in lines() if line["request_id"] == "crash-1"]
    assert [line["message"] for line in mine] == [
        "unhandled error on GET /boom",
        "request finished",
    ]
    assert "RuntimeError: kaput" in mine[0]["exception"]
    assert mine[0]["level"] == "ERROR" and mine[1]["status"] == 500


def test_an_error_after_the_answer_began_propagates_and_is_still_counted(meters) -> None:
    with TestClient(small_app(meters)) as client, pytest.raises(RuntimeError, match="broke"):
        client.get("/halfway")
    assert count(meters, "/halfway", "200") == 1
    assert meters.registry.get_sample_value("http_requests_in_progress") == 0


def test_a_streamed_answer_is_counted_once_at_its_end(meters, lines) -> None:
    with TestClient(small_app(meters)) as client:
        reply = client.get("/streamed/7", headers={"X-Request-ID": "stream-1"})
    assert reply.text == "abc"
    assert count(meters, "/streamed/{part}", "200") == 1
    finished = [line for line in lines() if line["request_id"] == "stream-1"]
    assert len(finished) == 1 and finished[0]["route"] == "/streamed/{part}"


def test_the_gauge_counts_the_request_being_served(meters) -> None:
    with TestClient(small_app(meters)) as client:
        assert client.get("/busy").json() == {"in_flight": 1.0}
        assert client.get("/busy").json() == {"in_flight": 1.0}
    assert meters.registry.get_sample_value("http_requests_in_progress") == 0


def test_an_unknown_method_gets_one_shared_label(meters) -> None:
    with TestClient(small_app(meters)) as client:
        assert client.request("BREW", "/busy").status_code == 405
        assert client.request("HEAD", "/busy").status_code == 200
    assert count(meters, "/busy", "405", method="OTHER") == 1
    assert count(meters, "/busy", "200", method="HEAD") == 1


def test_the_request_id_comes_from_the_first_header_only() -> None:
    scope = {"headers": [(b"accept", b"*/*"), (b"x-request-id", b"abc"), (b"x-request-id", b"z")]}
    assert request_id(scope) == "abc"
    bad_first = {"headers": [(b"x-request-id", b"a b"), (b"x-request-id", b"fine")]}
    assert request_id(bad_first) != "fine" and len(request_id(bad_first)) == 32


def test_a_route_without_a_template_is_unmatched() -> None:
    assert route_label({}) == "__unmatched__"
    assert route_label({"route": object()}) == "__unmatched__"


def test_the_request_is_counted_before_its_last_body_message_goes_out(meters) -> None:
    async def app(scope, receive, send) -> None:
        scope["route"] = Route("/parts/{n}", lambda r: None)
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})

    seen = []

    async def send(message) -> None:
        seen.append((message["type"], count(meters, "/parts/{n}", "201", method="POST")))

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "POST", "path": "/parts/3", "headers": []}
    asyncio.run(RequestTracking(app, meters=meters)(scope, receive, send))
    assert seen == [
        ("http.response.start", 0),
        ("http.response.body", 0),
        ("http.response.body", 1),
    ]


def test_a_request_to_the_exempt_path_is_neither_counted_nor_in_flight(meters, lines) -> None:
    async def app(scope, receive, send) -> None:
        gauge = meters.registry.get_sample_value("http_requests_in_progress")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(gauge).encode()})

    bodies = []

    async def send(message) -> None:
        bodies.append(message.get("body"))

    scope = {"type": "http", "method": "GET", "path": "/metrics", "headers": []}
    asyncio.run(RequestTracking(app, meters=meters)(scope, None, send))  # type: ignore[arg-type]
    assert bodies == [None, b"0.0"]
    assert count(meters, "__unmatched__", "200") == 0 and lines() == []
