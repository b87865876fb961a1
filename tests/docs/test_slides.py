"""The lecture slide decks: sources, the site build, and every deck opened in headless Chromium.

Each lecture has a Marp deck (``lectures/NN_slug/slides.md``) with at least one committed SVG
diagram; the site hook ``docs/hooks/lecture_slides.py`` renders it to
``lectures/NN_slug/slides.html`` and links it from the lecture page. The browser test loads every
deck from a local HTTP server with every other host unresolvable (so nothing may come from the
network), counts the slides Marp produced and checks that each diagram decoded and is drawn with a
non-zero size. Without Chromium and chromedriver it skips on a developer machine and fails under
``CI=true``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIN_SLIDES = 9  # a title slide plus at least eight content slides
LECTURES = sorted(
    p.name for p in (ROOT / "lectures").iterdir() if p.is_dir() and re.match(r"\d{2}_", p.name)
)
DIAGRAM = re.compile(r"!\[[^\]]*\]\((diagrams/[^)\s]+\.svg)\)")


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "lecture_slides_hook", ROOT / "docs" / "hooks" / "lecture_slides.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module's annotations through it
    spec.loader.exec_module(module)
    return module


def _deck(folder: str) -> str:
    return (ROOT / "lectures" / folder / "slides.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize("folder", LECTURES)
def test_every_lecture_has_a_marp_deck_with_a_committed_svg_diagram(folder: str) -> None:
    text = _deck(folder)
    front_matter = text.split("---", 2)[1]
    assert "marp: true" in front_matter and "theme: course" in front_matter
    slides = [s for s in re.split(r"^---\s*$", text, flags=re.M)[2:] if s.strip()]
    assert len(slides) >= MIN_SLIDES, f"{folder}: {len(slides)} slides, want >= {MIN_SLIDES}"
    assert all("<!--" in s for s in slides[1:]), f"{folder}: a slide without speaker notes"
    diagrams = DIAGRAM.findall(text)
    assert diagrams, f"{folder}: the deck shows no diagrams/*.svg"
    for diagram in diagrams:
        svg = ET.parse(ROOT / "lectures" / folder / diagram).getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg", diagram
        assert float(svg.get("width", "0")) > 0 and float(svg.get("height", "0")) > 0, diagram
        assert 'href="http' not in (ROOT / "lectures" / folder / diagram).read_text(), diagram


def test_the_hook_refuses_remote_and_missing_images(tmp_path: Path) -> None:
    from mkdocs.exceptions import PluginError

    hook = _hook()
    deck = tmp_path / "lectures" / "01_x" / "slides.md"
    deck.parent.mkdir(parents=True)
    deck.write_text("---\nmarp: true\n---\n# T\n\n![](https://example.com/a.png)\n")
    with pytest.raises(PluginError, match="remote image"):
        hook.find_decks(tmp_path)
    deck.write_text("---\nmarp: true\n---\n# T\n\n![w:100](diagrams/none.svg)\n")
    with pytest.raises(PluginError, match="does not exist"):
        hook.find_decks(tmp_path)
    (deck.parent / "diagrams").mkdir()
    (deck.parent / "diagrams" / "none.svg").write_text("<svg/>")
    [found] = hook.find_decks(tmp_path)
    assert found.images == ("lectures/01_x/diagrams/none.svg",)
    assert found.site_path == "lectures/01_x/slides.html"


# --------------------------------------------------------------------------- the built site


def test_the_site_publishes_every_deck_next_to_its_lecture(built_site: Path, parse) -> None:
    for folder in LECTURES:
        deck = built_site / "lectures" / folder / "slides.html"
        assert deck.is_file(), f"no rendered deck for {folder}"
        html = deck.read_text(encoding="utf-8")
        assert html.count("<section") >= MIN_SLIDES
        for diagram in DIAGRAM.findall(_deck(folder)):
            assert f'src="{diagram}"' in html
            assert (built_site / "lectures" / folder / diagram).is_file()
        page = parse(built_site / "lectures" / f"{folder}.html")
        assert ("a", "href", f"{folder}/slides.html") in page.links, f"{folder}: no Slides link"


# --------------------------------------------------------------------------- Chromium


def _require(tool: str, candidates: tuple[str, ...]) -> str:
    for candidate in candidates:
        if found := shutil.which(candidate):
            return found
    message = f"{tool} not found (Debian: apt-get install chromium chromium-driver); needed to open the slide decks"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; it is required under CI=true")
    pytest.skip(message)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_server(built_site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(built_site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    chromium = _require("chromium", ("chromium", "chromium-browser", "google-chrome"))
    driver_path = _require("chromedriver", ("chromedriver",))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


SECTIONS = "return document.querySelectorAll('section').length;"
IMAGES = """
return Array.from(document.querySelectorAll('section img')).map(img => {
  const box = img.getBoundingClientRect();
  return {src: img.getAttribute('src'), complete: img.complete,
          natural: [img.naturalWidth, img.naturalHeight], box: [box.width, box.height]};
});
"""


@pytest.mark.timeout(300)
def test_every_deck_opens_in_chromium_with_slides_and_drawn_diagrams(
    browser, site_server: str
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    for folder in LECTURES:
        url = f"{site_server}lectures/{folder}/slides.html"
        browser.get(url)
        number = int(folder[:2])
        assert browser.title.startswith(f"Lecture {number}. "), f"{folder}: title {browser.title!r}"
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(SECTIONS) >= MIN_SLIDES)
        WebDriverWait(browser, 10).until(
            lambda d: all(i["complete"] for i in d.execute_script(IMAGES))
        )
        images = browser.execute_script(IMAGES)
        expected = set(DIAGRAM.findall(_deck(folder)))
        assert {i["src"] for i in images} >= expected, f"{folder}: diagrams missing from the DOM"
        for image in images:
            width, height = image["natural"]
            assert width > 0 and height > 0, f"{folder}: {image['src']} did not load"
            # Bespoke lays every slide out (inactive ones off screen), so each diagram has a box.
            box_width, box_height = image["box"]
            assert box_width > 100 and box_height > 50, (
                f"{folder}: {image['src']} drawn at {image['box']}"
            )
