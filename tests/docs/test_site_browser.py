"""The built site in headless Chromium: pages render, navigation lists every lecture, Mermaid draws SVG.

Chromium fetches the pages from a local HTTP server with every other host unresolvable, so the test
also proves that nothing (Mermaid included) comes from the network. Material puts a rendered diagram
in a closed shadow root, which ``--dump-dom`` cannot see; the server therefore adds a small script to
each page that opens shadow roots and copies their content into a ``<template>`` the dump includes.
Without Chromium the test skips on a developer machine and fails under ``CI=true``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

CHROMIUM_CANDIDATES = (
    "chromium",
    "/usr/bin/chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
SHADOW_PROBE = b"""<script>
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
  setInterval(() => {
    for (const host of document.querySelectorAll("div.mermaid")) {
      if (host.shadowRoot && !host.dataset.probed && host.shadowRoot.innerHTML.includes("<svg")) {
        const copy = document.createElement("template");
        copy.className = "shadow-probe";
        copy.innerHTML = host.shadowRoot.innerHTML;
        host.after(copy);
        host.dataset.probed = "1";
      }
    }
  }, 100);
})();
</script>"""
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Chromium's path; skips naming it when absent, but fails under ``CI=true``."""
    found = find_chromium()
    if found is None:
        message = (
            "chromium not found (Debian: apt-get install chromium); "
            "needed for the browser test of the site"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; it is required under CI=true")
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "find_chromium", lambda: None)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium"):
        require_chromium()


class ProbingHandler(SimpleHTTPRequestHandler):
    """Serves the built site, adding the shadow-root probe to every HTML page."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().send_head()
        body = path.read_bytes().replace(b"<head>", b"<head>" + SHADOW_PROBE, 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        from io import BytesIO

        return BytesIO(body)


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    handler = functools.partial(ProbingHandler, directory=str(built_site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def dump_dom(chromium: str, url: str, profile: Path) -> str:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"chromium failed on {url}: {result.stderr[-2000:]}"
    assert "</html>" in result.stdout, f"no DOM for {url}: {result.stderr[-2000:]}"
    return result.stdout


def linked_paths(dom: str, page_url: str, base: str) -> set[str]:
    paths = set()
    for href in HREF.findall(dom):
        absolute = urljoin(page_url, href.replace("&amp;", "&"))
        if absolute.startswith(base):
            paths.add(urlsplit(absolute).path.lstrip("/"))
    return paths


def primary_nav(dom: str) -> str:
    start = dom.find('class="md-nav md-nav--primary')
    assert start != -1, "no primary navigation in the page"
    return dom[start:]


@pytest.mark.timeout(120)
def test_home_and_lecture_render_with_navigation_and_mermaid(
    chromium: str, server: str, tmp_path: Path, lectures: list[str]
) -> None:
    lecture = next(
        (f for f in lectures if "```mermaid" in _readme(f)),
        None,
    )
    assert lecture is not None, "no lecture with a Mermaid diagram to check"
    expected = {f"lectures/{folder}.html" for folder in lectures}

    home_url = server + "index.html"
    home = dump_dom(chromium, home_url, tmp_path / "profile-home")
    assert "MLOps: deploying machine-learning models" in home
    missing = expected - linked_paths(primary_nav(home), home_url, server)
    assert not missing, f"home page navigation misses lectures: {sorted(missing)}"

    lecture_url = server + f"lectures/{lecture}.html"
    page = dump_dom(chromium, lecture_url, tmp_path / "profile-lecture")
    missing = expected - linked_paths(primary_nav(page), lecture_url, server)
    assert not missing, f"lecture page navigation misses lectures: {sorted(missing)}"
    diagrams = _readme(lecture).count("```mermaid")
    rendered = re.findall(r'<template class="shadow-probe">\s*(.{0,200})', page, re.DOTALL)
    assert rendered, "no Mermaid diagram was rendered (is the vendored mermaid.min.js loaded?)"
    assert len(rendered) == diagrams, f"{len(rendered)} of {diagrams} Mermaid diagrams rendered"
    assert all("<svg" in start for start in rendered), "a Mermaid diagram did not render to SVG"


def _readme(folder: str) -> str:
    path = Path(__file__).resolve().parents[2] / "lectures" / folder / "README.md"
    return path.read_text(encoding="utf-8") if path.is_file() else ""
