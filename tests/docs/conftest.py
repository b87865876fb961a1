"""Shared fixtures for the course-site tests: one strict build per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SiteBuild:
    """The outcome of ``mkdocs build --strict`` into a temporary directory."""

    site_dir: Path
    returncode: int
    output: str


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    """Build the site once, strictly, exactly as CI does."""
    site_dir = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(ROOT / "mkdocs.yml"),
    ]
    result = subprocess.run(
        [*command, "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return SiteBuild(site_dir, result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def built_site(site_build: SiteBuild) -> Path:
    """The built site's directory; fails (rather than errors) every dependent test when the build failed."""
    if site_build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{site_build.output}")
    return site_build.site_dir


class PageParser(HTMLParser):
    """Collects the ids, links and scripts of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.scripts: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        for attribute in ("href", "src"):
            if attribute in values:
                self.links.append((tag, attribute, values[attribute]))
        if tag == "script" and "src" in values:
            self.scripts.append(values["src"])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(path: Path) -> PageParser:
    """Parse one built page."""
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def lecture_folders() -> list[str]:
    """The lecture folders of the repository (``lectures/NN_slug``)."""
    return sorted(
        p.name
        for p in (ROOT / "lectures").iterdir()
        if p.is_dir() and p.name[:2].isdigit() and p.name[2] == "_"
    )


def homework_ids() -> list[str]:
    """The homework named in the course configuration."""
    from grader.course.config import load_course_config

    return list(load_course_config().weights)


@pytest.fixture(scope="session")
def parse() -> Callable[[Path], PageParser]:
    """``parse(path)``: a PageParser filled from one built page."""
    return parse_page


@pytest.fixture(scope="session")
def lectures() -> list[str]:
    """The lecture folders of the repository."""
    return lecture_folders()


@pytest.fixture(scope="session")
def homework() -> list[str]:
    """The homework ids of the course configuration."""
    return homework_ids()
