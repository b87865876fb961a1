"""The course site builds strictly, its links resolve, and its generated content comes from the sources."""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_strict_build_succeeds(site_build) -> None:
    assert site_build.returncode == 0, site_build.output
    assert (site_build.site_dir / "index.html").is_file()
    assert "WARNING" not in site_build.output, site_build.output


def test_every_internal_link_and_anchor_resolves(built_site: Path, parse) -> None:
    parsed = {path: parse(path) for path in pages(built_site)}
    problems: list[str] = []
    for path, page in parsed.items():
        page_url = path.relative_to(built_site).as_posix()
        for tag, attribute, url in page.links:
            if not url or EXTERNAL.match(url) or url.startswith("data:"):
                continue
            parts = urlsplit(url)
            where = f"{page_url}: <{tag} {attribute}={url!r}>"
            if parts.path:
                base = "" if parts.path.startswith("/") else posixpath.dirname(page_url)
                target_url = posixpath.normpath(
                    posixpath.join(base, unquote(parts.path).lstrip("/"))
                )
                if target_url.startswith(".."):
                    problems.append(f"{where}: points outside the site")
                    continue
                target = built_site / target_url
                if url.endswith("/") or target.is_dir():
                    target = target / "index.html"
            else:
                target = path
            if not target.is_file():
                problems.append(f"{where}: {target.relative_to(built_site)} does not exist")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: no element with id {parts.fragment!r}")
    assert not problems, "\n".join(problems)


def test_search_index_covers_lectures_and_homework(built_site: Path, lectures, homework) -> None:
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#", 1)[0] for doc in index["docs"]}
    titles = {doc["title"] for doc in index["docs"] if "#" not in doc["location"]}
    assert lectures, "no lecture folders found"
    for folder in lectures:
        assert f"lectures/{folder}.html" in locations, (
            f"lecture {folder} is not in the search index"
        )
        readme = ROOT / "lectures" / folder / "README.md"
        if readme.is_file():
            heading = next(
                line[2:].strip()
                for line in readme.read_text().splitlines()
                if line.startswith("# ")
            )
            assert heading in titles, f"the title of {folder}'s README is not indexed: {heading!r}"
    for hw in homework:
        assert f"homework/{hw}.html" in locations, f"homework {hw} is not in the search index"
    for page in ("index.html", "syllabus.html", "grading.html", "reference/grader.html"):
        assert page in locations, f"{page} is not in the search index"


def test_no_page_loads_anything_from_the_network(built_site: Path, parse) -> None:
    offenders = []
    for path in pages(built_site):
        page = parse(path)
        for tag, attribute, url in page.links:
            loads = tag in ("script", "img", "iframe", "source") or (
                tag == "link" and attribute == "href"
            )
            if loads and EXTERNAL.match(url) and not url.startswith("data:"):
                offenders.append(f"{path.relative_to(built_site)}: <{tag} {attribute}={url!r}>")
        text = path.read_text(encoding="utf-8")
        for cdn in (
            "unpkg.com",
            "jsdelivr.net",
            "cdnjs.",
            "fonts.googleapis.com",
            "fonts.gstatic.com",
        ):
            if cdn in text:
                offenders.append(f"{path.relative_to(built_site)}: mentions {cdn}")
    assert not offenders, "\n".join(offenders)


def test_mermaid_is_vendored_and_loaded(built_site: Path, parse) -> None:
    bundle = built_site / "assets" / "javascripts" / "vendor" / "mermaid.min.js"
    assert bundle.is_file() and bundle.stat().st_size > 1_000_000
    scripts = parse(built_site / "syllabus.html").scripts
    assert "assets/javascripts/vendor/mermaid.min.js" in scripts
    assert 'class="mermaid"' in (built_site / "syllabus.html").read_text(encoding="utf-8")


def test_grading_page_renders_the_rubric_from_its_source(built_site: Path) -> None:
    rubric = tomllib.loads((ROOT / "grader" / "suites" / "hw1" / "rubric.toml").read_text())
    html = (built_site / "grading.html").read_text(encoding="utf-8")
    missing = [c["id"] for c in rubric["checks"] if f"<code>{c['id']}</code>" not in html]
    assert not missing, f"check ids missing from the grading page: {missing}"
    total = sum(c["points"] for c in rubric["checks"])
    assert f"<strong>{total:g}</strong>" in html


def test_grading_page_renders_the_course_formula(built_site: Path) -> None:
    from grader.course.config import load_course_config

    course = load_course_config()
    html = (built_site / "grading.html").read_text(encoding="utf-8")
    assert course.formula() in html
    perfect = round(course.scale * sum(course.weights.values()), course.rounding)
    assert f"A perfect record scores {perfect:g} of {course.scale:g}" in html


def test_missing_rubrics_render_a_note(built_site: Path, homework) -> None:
    html = (built_site / "grading.html").read_text(encoding="utf-8")
    for hw in homework:
        if not (ROOT / "grader" / "suites" / hw / "rubric.toml").is_file():
            assert f"The {hw} rubric is not published yet" in html


def test_reference_lists_every_cli_command(built_site: Path) -> None:
    import typer.main

    from grader.cli import app  # every command module registers itself on import

    html = (built_site / "reference" / "grader.html").read_text(encoding="utf-8")
    commands = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert commands
    for name in commands:
        assert f"Usage: grader {name} " in html, f"grader {name} is missing from the reference"
    schema = json.loads((ROOT / "grader" / "report" / "report.schema.json").read_text())
    for field in schema["required"]:
        assert f"<code>{field}</code>" in html, (
            f"report field {field} is missing from the reference"
        )


def test_every_rubric_check_links_to_an_anchor_of_its_lecture(
    built_site: Path, parse, homework
) -> None:
    """Reports and rubric tables link each check to a lecture section: that section must exist."""
    from grader.errors import UsageError
    from grader.rubric import load_rubric

    checked = 0
    for hw in homework:
        try:
            rubric = load_rubric(hw)
        except UsageError:
            continue  # not published yet
        for check in rubric.checks:
            assert check.lecture, f"{hw} {check.id} names no lecture section"
            page, _, anchor = check.lecture.partition("#")
            html = built_site / "lectures" / f"{page}.html"
            assert html.is_file(), f"{hw} {check.id}: no lecture page {page}"
            assert anchor in parse(html).ids, f"{hw} {check.id}: no anchor #{anchor} on {page}"
            assert check.lecture_path() == f"lectures/{page}.html#{anchor}"
            checked += 1
    assert checked >= 19


def test_every_rubric_faq_link_resolves_in_the_built_site(
    built_site: Path, parse, homework
) -> None:
    """Failing checks link an FAQ entry (``guides/faq.html#anchor``): that entry must exist."""
    from grader.errors import UsageError
    from grader.rubric import load_rubric

    faq = parse(built_site / "guides" / "faq.html")
    linked = 0
    for hw in homework:
        try:
            rubric = load_rubric(hw)
        except UsageError:
            continue  # not published yet
        for check in rubric.checks:
            if not check.faq:
                continue
            page, _, anchor = check.faq_path().partition("#")
            assert page == "guides/faq.html", f"{hw} {check.id}: FAQ link to {page}"
            assert anchor in faq.ids, f"{hw} {check.id}: no anchor #{anchor} on the FAQ page"
            linked += 1
    assert linked >= 5, f"only {linked} rubric checks link the FAQ"
    for entry in ("database-unreachable", "prometheus-target-down", "red-ci"):
        assert entry in faq.ids, f"the FAQ has no entry #{entry}"
