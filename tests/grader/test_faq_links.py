"""FAQ links of rubric checks: validated against the FAQ page, rendered in failing checks' feedback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.faq import FAQ_PAGE, _anchors, faq_anchors
from grader.paths import DEFAULT_SUITES_DIR
from grader.report.model import CheckResult, Report
from grader.report.render import faq_link, render_markdown, what_to_fix
from grader.rubric import load_rubric

SITE = "https://course.example/"


def test_faq_anchors_are_explicit_heading_ids_outside_code() -> None:
    text = (
        "# FAQ\n\n## Port { #port-binding }\n\n```md\n## Fake { #in-code }\n```\n"
        "### Lock drift { #uv-lock-drift .note }\nplain text { #not-a-heading }\n"
    )
    assert _anchors(text) == {"port-binding", "uv-lock-drift"}


def test_hw1_links_at_least_five_checks_to_existing_faq_entries() -> None:
    rubric = load_rubric("hw1")
    linked = {c.id: c.faq for c in rubric.checks if c.faq}
    assert len(linked) >= 5, linked
    assert set(linked.values()) <= faq_anchors(FAQ_PAGE)
    assert linked["service.starts"] == "port-binding"
    assert linked["install.environment"] == "uv-lock-drift"
    assert linked["api.validation"] == "validation-422-vs-500"
    assert rubric.check("service.starts").faq_path() == "guides/faq.html#port-binding"


@pytest.mark.parametrize(
    ("homework", "check", "entry"),
    [
        ("hw2", "faults.db_outage", "database-unreachable"),
        ("hw2", "container.contract", "database-unreachable"),
        ("hw2", "service.starts", "port-binding"),
        ("hw3", "prometheus.target_up", "prometheus-target-down"),
        ("hw3", "delivery.workflow_valid", "red-ci"),
        ("hw3", "tests.coverage", "tests-quality"),
    ],
)
def test_hw2_and_hw3_link_their_usual_failures(homework: str, check: str, entry: str) -> None:
    rubric = load_rubric(homework)
    assert rubric.check(check).faq == entry
    assert {c.faq for c in rubric.checks if c.faq} <= faq_anchors(FAQ_PAGE)


def test_faq_page_has_the_homework_entries() -> None:
    assert FAQ_PAGE.is_file()
    assert {
        "port-binding",
        "uv-lock-drift",
        "validation-422-vs-500",
        "database-unreachable",
        "prometheus-target-down",
        "red-ci",
    } <= faq_anchors(FAQ_PAGE)


def test_a_rubric_naming_an_unknown_faq_entry_is_rejected(tmp_path: Path) -> None:
    suites = tmp_path / "suites"
    shutil.copytree(DEFAULT_SUITES_DIR, suites)
    rubric = suites / "hw1" / "rubric.toml"
    text = rubric.read_text()
    assert 'faq = "port-binding"' in text
    rubric.write_text(text.replace('faq = "port-binding"', 'faq = "no-such-entry"', 1))
    with pytest.raises(UsageError, match="no-such-entry"):
        load_rubric("hw1", suites)


def test_an_installed_grader_without_the_faq_page_still_loads_rubrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import grader.faq

    monkeypatch.setattr(grader.faq, "FAQ_PAGE", tmp_path / "absent" / "faq.md")
    check = load_rubric("hw1").check("service.starts")
    assert check.faq_path() == "guides/faq.html#port-binding"


def _report(status: str) -> Report:
    check = load_rubric("hw1").check("service.starts")
    result = CheckResult.skipped(check, "x")
    result.status = status  # type: ignore[assignment]
    result.feedback = "the service listens on port 8000, not on the port the grader gave it"
    return Report(
        "hw1",
        "check",
        "alice",
        "https://example.invalid/alice",
        "a" * 40,
        "0.1.0",
        "b" * 64,
        "1.0.0",
        {
            "level": "full",
            "filesystem": "allow-list (bubblewrap)",
            "override": False,
            "network": "netns",
            "user": "uid",
            "process_limit": "x",
            "notes": [],
        },
        None,
        "2026-11-27T00:00:00+00:00",
        1.0,
        [result],
    )


def test_failing_check_feedback_links_its_faq_entry() -> None:
    report = _report("failed")
    [(check, _, _)] = what_to_fix(report, "student", "full", SITE)
    assert faq_link(check, SITE) == f"{SITE}guides/faq.html#port-binding"
    markdown = render_markdown(report, "student", "full", SITE)
    assert f"FAQ: [port-binding]({SITE}guides/faq.html#port-binding)" in markdown


def test_passing_check_shows_no_faq_link() -> None:
    markdown = render_markdown(_report("passed"), "student", "full", SITE)
    assert "FAQ:" not in markdown


def test_console_what_to_fix_prints_the_faq_link(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import grader.cli.grade as grade_cli

    console = Console(record=True, width=200)
    monkeypatch.setattr(grade_cli, "out", console)
    grade_cli.print_what_to_fix(_report("failed"), "student", "full", SITE)
    assert f"FAQ: {SITE}guides/faq.html#port-binding" in console.export_text()


def test_a_report_with_faq_links_validates_against_the_schema() -> None:
    import json

    import jsonschema

    from grader.report.model import SCHEMA_PATH

    data = _report("failed").to_dict()
    assert data["checks"][0]["faq"] == "guides/faq.html#port-binding"
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
