"""MkDocs hook: render each lecture's slide deck (``lectures/NN_slug/slides.md``, Marp Markdown) to HTML.

* ``on_files``: renders every deck with the pinned Marp CLI (``tools/slides``, installed by
  ``tools/slides/install.sh`` when missing) and adds it to the site as ``lectures/NN_slug/slides.html``,
  next to the lecture page ``lectures/NN_slug/``. The images a deck shows (committed SVG diagrams)
  are added at their repository path, and the licence of Marp's slide script (inlined in every deck)
  at ``assets/slides/``. A deck that shows a remote image, or a local image that does
  not exist, fails the build: the site works offline.
* ``on_page_markdown``: puts a "Slides" link under the title of each lecture page that has a deck.

Marp renders HTML with Node only (no browser, no network). Rendered decks are cached in
``tools/slides/.cache/`` by the hash of the deck, the theme and the lock file, so a rebuild with
unchanged decks does not start Node at all.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.lecture_slides")

DECK_NAME = "slides.md"
LECTURE_DIR = re.compile(r"^\d{2}_[a-z0-9_]+$")
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s<>]+)")
HTML_SOURCE = re.compile(r"""\bsrc\s*=\s*["']([^"']+)["']""")
URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
H1 = re.compile(r"^# \S")
MARP_OPTIONS = ("--html", "--no-stdin", "--theme-set", "course-theme.css")
# The rendered HTML points at the licence of Marp's inlined slide script on a CDN; the site ships a
# copy of that file instead, so no page mentions a remote host.
LICENSE_URL = re.compile(
    r"https://unpkg\.com/@marp-team/marp-cli@[^/\s]+/lib/bespoke\.js\.LICENSE\.txt"
)
LICENSE_SOURCE = Path("node_modules/@marp-team/marp-cli/lib/bespoke.js.LICENSE.txt")
LICENSE_SITE_PATH = "assets/slides/bespoke.js.LICENSE.txt"
RENDER_TIMEOUT_S = 180
CACHE_FORMAT = "2"  # bump when the post-processing of Marp's HTML changes


@dataclass(frozen=True)
class Deck:
    """One lecture's deck: its folder name, Markdown source and the local images it shows."""

    lecture: str
    source: Path
    images: tuple[str, ...]  # repository paths

    @property
    def site_path(self) -> str:
        return f"lectures/{self.lecture}/slides.html"


def _tools(root: Path) -> Path:
    return root / "tools" / "slides"


def _deck_images(root: Path, deck_path: Path) -> tuple[str, ...]:
    """The repository paths of the images a deck shows; fails on remote or missing images."""
    text = deck_path.read_text(encoding="utf-8")
    origin = deck_path.relative_to(root).as_posix()
    images = []
    for url in MARKDOWN_IMAGE.findall(text) + HTML_SOURCE.findall(text):
        if URL_SCHEME.match(url) or url.startswith("//"):
            raise PluginError(f"{origin}: remote image {url!r}; commit the file next to the deck")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(origin), url.split("#")[0]))
        if not (root / target).is_file():
            raise PluginError(f"{origin}: image {url!r} does not exist ({target})")
        images.append(target)
    return tuple(dict.fromkeys(images))


def find_decks(root: Path) -> list[Deck]:
    """Every ``lectures/NN_slug/slides.md`` of the repository, in lecture order."""
    lectures = root / "lectures"
    if not lectures.is_dir():
        return []
    decks = []
    for folder in sorted(p for p in lectures.iterdir() if p.is_dir()):
        source = folder / DECK_NAME
        if LECTURE_DIR.match(folder.name) and source.is_file():
            decks.append(Deck(folder.name, source, _deck_images(root, source)))
    return decks


def _cache_key(tools: Path, deck: Deck) -> str:
    digest = hashlib.sha256()
    for part in (tools / "package-lock.json", tools / "course-theme.css", deck.source):
        digest.update(part.read_bytes())
        digest.update(b"\0")
    digest.update(" ".join((CACHE_FORMAT, *MARP_OPTIONS)).encode())
    return digest.hexdigest()[:24]


def _install(tools: Path) -> Path:
    """The Marp CLI executable, installed from the lock file first when needed."""
    result = subprocess.run(
        ["bash", str(tools / "install.sh")], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise PluginError(f"installing the Marp CLI failed: {result.stderr.strip()[-1500:]}")
    return tools / "node_modules" / ".bin" / "marp"


def _render(tools: Path, decks: list[Deck], cache: Path) -> None:
    """Render the decks in one Marp run and store each HTML file in the cache."""
    marp = _install(tools)
    with tempfile.TemporaryDirectory(prefix="slides-") as scratch:
        inputs, outputs = Path(scratch, "in"), Path(scratch, "out")
        for deck in decks:
            (inputs / deck.lecture).mkdir(parents=True)
            shutil.copyfile(deck.source, inputs / deck.lecture / DECK_NAME)
        command = [str(marp), *MARP_OPTIONS, "--input-dir", str(inputs), "--output", str(outputs)]
        result = subprocess.run(
            command, cwd=tools, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S
        )
        if result.returncode != 0:
            raise PluginError(f"marp failed:\n{(result.stdout + result.stderr)[-3000:]}")
        cache.mkdir(parents=True, exist_ok=True)
        for deck in decks:
            html = outputs / deck.lecture / "slides.html"
            if not html.is_file():
                raise PluginError(f"marp wrote no HTML for lectures/{deck.lecture}/{DECK_NAME}")
            local_license = posixpath.relpath(LICENSE_SITE_PATH, posixpath.dirname(deck.site_path))
            text = LICENSE_URL.sub(local_license, html.read_text(encoding="utf-8"))
            (cache / f"{_cache_key(tools, deck)}.html").write_text(text, encoding="utf-8")


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    root = Path(config.config_file_path).resolve().parent
    tools = _tools(root)
    cache = tools / ".cache"
    decks = find_decks(root)
    stale = [d for d in decks if not (cache / f"{_cache_key(tools, d)}.html").is_file()]
    if stale:
        _render(tools, stale, cache)
    if decks:
        license_file = tools / LICENSE_SOURCE
        if not license_file.is_file():
            _install(tools)
        files.append(File.generated(config, LICENSE_SITE_PATH, abs_src_path=str(license_file)))
    for deck in decks:
        rendered = cache / f"{_cache_key(tools, deck)}.html"
        files.append(File.generated(config, deck.site_path, abs_src_path=str(rendered)))
        for image in deck.images:
            if files.get_file_from_path(image) is None:
                files.append(File.generated(config, image, abs_src_path=str(root / image)))
    log.info(
        "lecture_slides: %d decks (%d rendered, %d cached)",
        len(decks),
        len(stale),
        len(decks) - len(stale),
    )
    return files


def _slides_link(markdown: str, lecture: str) -> str:
    """The page with a "Slides" link inserted under its first top-level heading."""
    link = f"[Slides]({lecture}/slides.html){{ .md-button }}\n"
    lines = markdown.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if H1.match(line):
            return "".join([*lines[: index + 1], "\n", link, *lines[index + 1 :]])
    return link + "\n" + markdown


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    match = re.fullmatch(r"lectures/(\d{2}_[a-z0-9_]+)\.md", page.file.src_uri)
    if match and files.get_file_from_path(f"lectures/{match.group(1)}/slides.html") is not None:
        return _slides_link(markdown, match.group(1))
    return markdown
