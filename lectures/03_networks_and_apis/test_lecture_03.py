"""Tests for lecture 3: raw HTTP on a socket, REST design with FastAPI, gRPC with protobuf."""

from __future__ import annotations

import importlib
import json
import socket
import sys
from pathlib import Path

import grpc
import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
MODULES = ("churn_scorer", "raw_http", "rest_design", "grpc_service")


@pytest.fixture(scope="module")
def ex():
    """Import the examples by name, then remove them from sys.modules to avoid clashes."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(EXAMPLES))
        for name in MODULES:
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def model(ex):
    return ex["churn_scorer"].train()


@pytest.fixture(scope="module")
def customers(ex):
    return {row_id: c for row_id, c, _ in ex["churn_scorer"].load_customers()}


# --- raw HTTP -----------------------------------------------------------------------------


def test_raw_http_conversation_over_one_keep_alive_connection(ex):
    raw = ex["raw_http"]
    with raw.running_server() as port:
        result = raw.conversation(port)
    exchanges = result.exchanges
    assert [r.status for _, r in exchanges] == [200, 200, 400, 422, 405, 404]
    assert result.closed_by_server is True
    assert result.local[1] != port  # the client side uses its own ephemeral port

    first_request, first_response = exchanges[0]
    assert first_request.startswith(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:")
    assert first_request.endswith(b"\r\n\r\n")
    assert first_response.raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(first_response.body) == {"status": "ok"}
    for _, response in exchanges:
        assert int(response.headers["content-length"]) == len(response.body)
        assert response.headers["content-type"] == "application/json"
    assert exchanges[4][1].headers["allow"] == "POST"
    assert 0.5 < json.loads(exchanges[1][1].body)["churn_probability"] < 0.7


def test_pipelined_requests_are_framed_by_content_length(ex):
    raw = ex["raw_http"]
    with raw.running_server() as port:
        body = json.dumps({"tenure": 60, "contract": "Two year"}).encode()
        both = raw.build_request("POST", "/predict", port, body) + raw.build_request(
            "GET", "/health", port, close=True
        )
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(both)  # two requests in a single write
            buffer = bytearray()
            first = raw.read_response(sock, buffer)
            second = raw.read_response(sock, buffer)
    assert json.loads(first.body)["churn_probability"] < 0.1
    assert json.loads(second.body) == {"status": "ok"}


def test_toy_score_prefers_short_monthly_customers(ex):
    score = ex["raw_http"].toy_churn_score
    assert score({"tenure": 1, "contract": "Month-to-month"}) > score(
        {"tenure": 1, "contract": "Two year"}
    )
    assert score({"tenure": 1, "contract": "One year"}) > score(
        {"tenure": 70, "contract": "One year"}
    )


# --- REST ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rest_url(ex, model, customers):
    rest = ex["rest_design"]
    with rest.serve(rest.create_app(model, customers)) as base_url:
        yield base_url


def test_rest_demo_tour(ex, rest_url):
    tour = {
        label.strip(): (status, detail)
        for label, status, detail in ex["rest_design"].demo(rest_url)
    }
    assert tour["GET page 1"] == (200, [2, 5, 7])
    assert tour["GET page 2"] == (200, [8, 9, 10])
    assert 'rel="next"' in tour["Link header"][1]
    assert tour["GET bad cursor"] == (400, "application/problem+json")
    assert tour["GET missing"][0] == 404
    assert tour["GET missing"][1]["instance"] == "/v1/customers/999999"
    assert tour["POST job"][0] == 201
    assert tour["POST retry (same key)"] == (201, "true")
    assert tour["POST same key, new body"] == (422, "Idempotency key reused")
    assert tour["POST empty list"] == (422, "too_short")
    assert tour["DELETE job"][0] == 204
    assert tour["DELETE again"][0] == 404
    v1 = tour["GET v1 score"][1]
    assert set(v1) == {"customer_id", "churn", "churn_probability", "model_version"}
    assert tour["GET v2 score"][1]["probability"] == v1["churn_probability"]


def test_rest_pagination_walks_every_customer_once(ex, rest_url, customers):
    seen: list[int] = []
    with ex["rest_design"].client(rest_url) as http:
        cursor = None
        for _ in range(100):  # bounded loop: 5,607 customers / 100 per page = 57 pages
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = http.get("/v1/customers", params=params).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert http.get("/v1/customers", params={"limit": 101}).status_code == 422
    assert seen == sorted(customers)


def test_rest_idempotency_key_prevents_duplicate_jobs(ex, rest_url):
    with ex["rest_design"].client(rest_url) as http:
        headers = {"Idempotency-Key": "test-key-42"}
        first = http.post("/v1/scoring-jobs", json={"customer_ids": [2]}, headers=headers)
        second = http.post("/v1/scoring-jobs", json={"customer_ids": [2]}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert "idempotent-replayed" not in first.headers
        plain_a = http.post("/v1/scoring-jobs", json={"customer_ids": [2]})
        plain_b = http.post("/v1/scoring-jobs", json={"customer_ids": [2]})
        assert plain_a.json()["id"] != plain_b.json()["id"]  # POST without a key is not idempotent
        unknown = http.post("/v1/scoring-jobs", json={"customer_ids": [1]})
        assert unknown.status_code == 422
        assert unknown.headers["content-type"] == "application/problem+json"
        document = http.get("/openapi.json").json()
        assert document["openapi"].startswith("3.")
        assert {
            "/v1/customers",
            "/v1/scoring-jobs",
            "/v2/customers/{customer_id}/churn-score",
        } <= set(document["paths"])


def test_cursor_round_trip_and_rejection(ex):
    rest = ex["rest_design"]
    assert rest.decode_cursor(rest.encode_cursor(1234)) == 1234
    with pytest.raises(rest.Problem):
        rest.decode_cursor("not-a-cursor")


# --- gRPC ---------------------------------------------------------------------------------


def test_proto_compiles_and_generated_code_is_not_committed(ex, tmp_path):
    generated = ex["grpc_service"].compile_proto(ex["grpc_service"].PROTO, tmp_path)
    assert generated == ["churn_scoring_pb2.py", "churn_scoring_pb2_grpc.py"]
    assert not list(EXAMPLES.rglob("*_pb2*.py"))


def test_grpc_service_end_to_end(ex, model, customers):
    service = ex["grpc_service"]
    pb2, pb2_grpc, _ = service.load_stubs()
    sample = [(row_id, customers[row_id]) for row_id in sorted(customers)[:25]]
    with service.serve(model, pb2, pb2_grpc) as port:
        result = service.run_client(port, pb2, pb2_grpc, sample)

    assert result["info"].name == "churn-logreg"
    assert len(result["info"].features) == 19
    expected = model.predict_proba([c for _, c in sample])
    assert result["unary"].customer_id == str(sample[0][0])
    assert result["unary"].churn_probability == pytest.approx(expected[0], abs=1e-12)
    assert [p.customer_id for p in result["batch"]] == [str(i) for i, _ in sample]
    assert [p.churn_probability for p in result["batch"]] == pytest.approx(expected, abs=1e-12)
    assert [p.churn for p in result["stream"]] == [p >= 0.5 for p in expected]
    code, details = result["error"]
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "tenure" in details and "contract" in details
    assert result["protobuf_bytes"] < result["json_bytes"] / 2


def test_zero_tenure_customer_keeps_total_charges_unset(ex, customers):
    service = ex["grpc_service"]
    pb2, _, _ = service.load_stubs()
    new_customer = next(c for c in customers.values() if c["total_charges"] is None)
    message = service.message_from_customer(pb2, new_customer, "new")
    assert not message.HasField("total_charges")
    assert service.customer_from_message(message)["total_charges"] is None


def test_examples_print_their_story(ex, capsys):
    ex["raw_http"].main()
    out = capsys.readouterr().out
    assert "HTTP/1.1 405 Method Not Allowed" in out
    assert "server closed the connection after 'Connection: close': True" in out
    ex["grpc_service"].main()
    out = capsys.readouterr().out
    assert "PredictStream -> 20 predictions" in out
    assert "INVALID_ARGUMENT" in out
    ex["churn_scorer"].main()
    out = capsys.readouterr().out
    assert "customer 5 (churned: True)" in out
    assert "tenure: must be between 0 and 120" in out
