"""The build's dependencies: a wheelhouse filled from the submission's ``uv.lock`` before the build.

RUN steps of a build have no route to the registry (they live in the job's network namespace,
and on some machines the registry's TLS is intercepted by a CA the base image does not carry).
So the grader

1. copies the submission into a build context of its own and rewrites, in that copy's
   ``uv.lock`` only, every ``https://files.pythonhosted.org/`` file URL to a wheel server on the
   job's loopback (the lock's hashes still pin every file; ``uv sync --locked`` and ``--frozen``
   both install from those URLs without asking the index);
2. downloads, on the host, the lock's runtime files that fit the image's platform (CPython 3.11
   on Linux) into a shared wheelhouse directory, named by their URL paths (which carry the file's
   hash, so entries never go stale and jobs can share them);
3. serves the wheelhouse on 127.0.0.1 inside the job's namespace during the build, read-only. A
   file the step-2 guess missed is fetched once from the registry on the host and kept.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from packaging.tags import Tag, compatible_tags, cpython_tags, platform_tags
from packaging.utils import parse_wheel_filename

from grader.sandbox import netns

REGISTRY_FILES = "https://files.pythonhosted.org"
WHEELHOUSE_DIR = Path(
    os.environ.get("GRADER_WHEELHOUSE", Path(tempfile.gettempdir()) / "mlops-grader-wheelhouse")
)
IMAGE_PYTHON = (3, 11)
# The wheel server's port inside the job's namespace (its own loopback, so no clash with other
# jobs). Fixed, so the rewritten uv.lock is the same on every grading: the dependency layer of the
# build stays cached across jobs.
SERVER_PORT = 3141
SAFE_PATH = re.compile(r"^/packages/[A-Za-z0-9._/+-]+$")


def image_tags() -> set[Tag]:
    """Wheel tags an x86_64/aarch64 Linux CPython 3.11 image accepts (the allowed base image's)."""
    platforms = list(platform_tags())
    return set(cpython_tags(IMAGE_PYTHON, platforms=platforms)) | set(
        compatible_tags(IMAGE_PYTHON, "cp311", platforms=platforms)
    )


def rewrite_lock(context: Path, base_url: str) -> bool:
    """Point the context copy's ``uv.lock`` file URLs at ``base_url``; False if there is no lock."""
    lock = context / "uv.lock"
    if not lock.is_file():
        return False
    lock.write_text(lock.read_text().replace(f'"{REGISTRY_FILES}/', f'"{base_url}/'))
    return True


def runtime_files(source: Path) -> list[str]:
    """URL paths (``/packages/...``) of the lock's runtime files that fit the image."""
    try:
        lock = tomllib.loads((source / "uv.lock").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return []
    exported = subprocess.run(
        [sys.executable, "-m", "uv", "export", "--frozen", "--no-dev", "--no-emit-project",
         "--no-hashes", "--no-header", "--no-annotate", "--quiet"],
        cwd=source, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    names = {
        line.split("==")[0].strip().lower()
        for line in exported.stdout.splitlines()
        if "==" in line and not line.startswith("#")
    }
    tags = image_tags()
    paths = []
    for package in lock.get("package", []):
        if names and package.get("name", "").lower() not in names:
            continue
        wheels = [w["url"] for w in package.get("wheels", []) if "url" in w]
        fitting = [u for u in wheels if _fits(u, tags)]
        if fitting:
            paths += [u.removeprefix(REGISTRY_FILES) for u in fitting]
        elif (sdist := package.get("sdist", {}).get("url")) and not wheels:
            paths.append(sdist.removeprefix(REGISTRY_FILES))
    return [p for p in paths if SAFE_PATH.match(p)]


def _fits(url: str, tags: set[Tag]) -> bool:
    try:
        _, _, _, wheel_tags = parse_wheel_filename(url.rsplit("/", 1)[-1])
    except ValueError:
        return False
    return bool(wheel_tags & tags)


def fetch(path: str, wheelhouse: Path = WHEELHOUSE_DIR) -> Path | None:
    """The wheelhouse file for URL path ``path``, downloaded from the registry if missing."""
    if not SAFE_PATH.match(path) or ".." in path:
        return None
    target = wheelhouse / path.lstrip("/")
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        with httpx.stream(
            "GET", REGISTRY_FILES + path, timeout=120, follow_redirects=True
        ) as response:
            if response.status_code != 200:
                return None
            with partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        partial.replace(target)
    except (httpx.HTTPError, OSError):
        partial.unlink(missing_ok=True)
        return None
    return target


def prefill(source: Path, wheelhouse: Path = WHEELHOUSE_DIR) -> tuple[int, list[str]]:
    """Download the lock's runtime files for the image (before the build): (files present, failures)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = runtime_files(source)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda p: fetch(p, wheelhouse), paths))
    return sum(f is not None for f in found), [
        p for p, f in zip(paths, found, strict=True) if f is None
    ]


_in_namespace = threading.local()


def namespace_bound() -> bool:
    """True inside :meth:`WheelServer._listen` when it runs in a job's own namespace."""
    return bool(getattr(_in_namespace, "value", False))


class WheelServer:
    """Serves the wheelhouse (GET only, ``/packages/...``) on 127.0.0.1 inside ``namespace``."""

    def __init__(self, namespace: str | None, wheelhouse: Path = WHEELHOUSE_DIR) -> None:
        self.wheelhouse = wheelhouse
        self.requested: list[str] = []

        def listen() -> socket.socket:
            _in_namespace.value = namespace is not None
            return self._listen()

        listener = netns.call_in(namespace, listen)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requested.append(self.path)
                found = fetch(self.path, server.wheelhouse)
                if found is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(found.stat().st_size))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                with found.open("rb") as handle, contextlib.suppress(OSError):
                    shutil.copyfileobj(handle, self.wfile)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.httpd.socket.close()
        self.httpd.socket = listener
        self.httpd.daemon_threads = True
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` as seen inside the job's namespace."""
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _listen() -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", SERVER_PORT if namespace_bound() else 0))
        listener.listen(64)
        return listener

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)
