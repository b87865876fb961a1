"""What HTTP/1.1 looks like on the wire: a raw TCP socket talking to a tiny stdlib server.

The server (``http.server`` from the standard library) listens on 127.0.0.1 on a free port
chosen by the OS and answers ``GET /health`` and ``POST /predict``. The score is a hand-written
toy formula, not the trained model, so this file needs nothing but the standard library.

The client does not use any HTTP library: it writes request bytes into a TCP socket and reads
the response bytes back, using ``Content-Length`` to know where each body ends. All requests go
over ONE connection (HTTP/1.1 keep-alive) until the last one asks for ``Connection: close``.

Usage::

    uv run python lectures/03_networks_and_apis/examples/raw_http.py
"""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
TIMEOUT = 5.0


def toy_churn_score(customer: dict[str, Any]) -> float:
    """A hand-made logistic formula: short tenure and monthly contracts raise the risk."""
    tenure = float(customer["tenure"])
    monthly = customer["contract"] == "Month-to-month"
    z = -1.0 - 0.04 * tenure + (1.5 if monthly else 0.0)
    return 1.0 / (1.0 + math.exp(-z))


class ChurnHandler(BaseHTTPRequestHandler):
    """Request handler; one instance per connection, ``do_<METHOD>`` per request."""

    protocol_version = "HTTP/1.1"  # keep connections open unless the client says otherwise
    server_version = "TinyChurn/0.1"
    timeout = TIMEOUT  # close idle keep-alive connections

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet; the demo prints the raw traffic instead."""

    def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        """GET /health -> 200; GET on /predict -> 405; anything else -> 404."""
        if self.path == "/health":
            self._send_json(200, {"status": "ok"})
        elif self.path == "/predict":
            self._send_json(405, {"detail": "use POST"}, {"Allow": "POST"})
        else:
            self._send_json(404, {"detail": f"no resource at {self.path}"})

    def do_POST(self) -> None:
        """POST /predict with a JSON body -> 200, 400 (bad JSON) or 422 (missing fields)."""
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)  # read exactly the body, even if we then reject it
        if self.path != "/predict":
            self._send_json(404, {"detail": f"no resource at {self.path}"})
            return
        try:
            customer = json.loads(raw)
        except json.JSONDecodeError as error:
            self._send_json(400, {"detail": f"body is not JSON: {error.msg}"})
            return
        missing = [k for k in ("tenure", "contract") if k not in customer]
        if missing:
            self._send_json(422, {"detail": [f"{k}: field required" for k in missing]})
            return
        self._send_json(200, {"churn_probability": round(toy_churn_score(customer), 4)})


@contextmanager
def running_server() -> Iterator[int]:
    """Start the server on 127.0.0.1 with port 0 (the OS picks a free port); yield the port."""
    server = ThreadingHTTPServer((HOST, 0), ChurnHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


@dataclass
class RawResponse:
    """A response as parsed from the byte stream."""

    raw: bytes
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def read_response(sock: socket.socket, buffer: bytearray) -> RawResponse:
    """Read one response: headers up to the blank line, then exactly Content-Length bytes."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("server closed the connection mid-response")
        buffer.extend(chunk)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    _version, code, reason = status_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = bytearray(rest)
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("server closed the connection mid-body")
        body.extend(chunk)
    buffer[:] = body[length:]  # keep bytes of a following response, if any
    raw = head + b"\r\n\r\n" + bytes(body[:length])
    return RawResponse(raw, int(code), reason, headers, bytes(body[:length]))


def build_request(
    method: str, path: str, port: int, body: bytes = b"", close: bool = False
) -> bytes:
    """Compose an HTTP/1.1 request by hand. Lines end with CRLF; a blank line ends the head."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: raw-socket-demo"]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Conversation:
    """Everything one demo connection produced."""

    local: tuple[str, int]
    exchanges: list[tuple[bytes, RawResponse]]
    closed_by_server: bool


def conversation(port: int) -> Conversation:
    """Send six requests over one TCP connection and collect what came back."""
    customer = json.dumps({"tenure": 2, "contract": "Month-to-month"}).encode()
    requests = [
        build_request("GET", "/health", port),
        build_request("POST", "/predict", port, customer),
        build_request("POST", "/predict", port, b"{not json"),
        build_request("POST", "/predict", port, b'{"tenure": 5}'),
        build_request("GET", "/predict", port),
        build_request("GET", "/nowhere", port, close=True),
    ]
    exchanges = []
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as sock:
        local = sock.getsockname()
        buffer = bytearray()
        for request in requests:
            sock.sendall(request)
            exchanges.append((request, read_response(sock, buffer)))
        closed_by_server = sock.recv(1) == b""  # empty read = the peer closed the connection
    return Conversation((local[0], local[1]), exchanges, closed_by_server)


def show(data: bytes) -> str:
    """Make CR and LF visible so students can see the framing."""
    return data.decode("utf-8", "replace").replace("\r\n", "\\r\\n\n    ")


def main() -> None:
    """Run the server, talk to it with raw bytes and print both directions."""
    with running_server() as port:
        result = conversation(port)
    local_host, local_port = result.local
    print(f"one TCP connection {local_host}:{local_port} -> {HOST}:{port}")
    for request, response in result.exchanges:
        print(f"\n>>> request\n    {show(request)}")
        print(f"<<< response ({response.status} {response.reason})\n    {show(response.raw)}")
    print(f"\nserver closed the connection after 'Connection: close': {result.closed_by_server}")


if __name__ == "__main__":
    main()
