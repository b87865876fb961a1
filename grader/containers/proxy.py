"""The build's only way out: an HTTP CONNECT proxy on the job's loopback that tunnels to the registry only.

The listening socket is created inside the job's network namespace (a socket keeps the namespace
it was made in); the tunnels it opens are made from the grader's namespace. A RUN step can ask
for ``pypi.org:443`` or ``files.pythonhosted.org:443`` (``uv sync --frozen`` fetches the lockfile's
wheels from there) and gets a 403 for anything else.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Sequence

from grader.sandbox import netns

IDLE_TIMEOUT_S = 60.0


class RegistryProxy:
    """A CONNECT-only proxy for ``hosts`` on port 443, listening on 127.0.0.1 in ``namespace``."""

    def __init__(self, hosts: Sequence[str], namespace: str | None) -> None:
        self.hosts = {h.lower() for h in hosts}
        self.listener = netns.call_in(namespace, self._listen)
        self.port = self.listener.getsockname()[1]
        self.refused: list[str] = []  # what a build asked for and did not get (feedback)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="registry-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` as seen from inside the job's namespace."""
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _listen() -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.5)
        return listener

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(IDLE_TIMEOUT_S)
        upstream = None
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 16384:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target = (
                head.split(b"\r\n", 1)[0].decode(errors="replace").split() + ["", ""]
            )[:2]
            host, _, port = target.rpartition(":")
            if method.upper() != "CONNECT" or host.lower() not in self.hosts or port != "443":
                self.refused.append(f"{method} {target}")
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection((host, 443), timeout=30)
            upstream.settimeout(IDLE_TIMEOUT_S)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pump = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            pump.start()
            _pipe(client, upstream)
            pump.join(IDLE_TIMEOUT_S)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    s.close()

    def close(self) -> None:
        """Stop accepting; open tunnels end with their connections."""
        self._stop.set()
        self.listener.close()
        self._thread.join(5)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
