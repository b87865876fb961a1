"""Render a report as Markdown (GitHub step summary), JUnit XML and Gradescope ``results.json``."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from grader.report.directory import ReportDirectory
from grader.report.knee import knee_png
from grader.report.model import CheckResult, Report

ICONS = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⏭️"}
FEEDBACK_POLICIES = ("full", "status", "none")


def _student_feedback(check: CheckResult, policy: str) -> str:
    """What a student may read of a check's feedback under the course's hidden-check policy."""
    if check.visibility == "hidden" and policy != "full":
        return (
            ""
            if check.status == "passed"
            else "hidden check: details are shown to instructors only"
        )
    return check.feedback


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def authority_note(report: Report) -> str | None:
    """The warning every rendering starts with when the report is not an authoritative grade."""
    if report.mode == "check":
        return "Self-check (visible checks only): not an authoritative grade."
    if not report.authoritative:
        level = report.isolation.get("level", "?")
        allowed = " (allowed by the instructor)" if report.isolation.get("override") else ""
        return (
            f"NOT AUTHORITATIVE: graded at {level} isolation{allowed}; an authoritative grade "
            "needs full isolation (root, bubblewrap, network namespaces)."
        )
    return None


def lecture_link(check: CheckResult, site_url: str) -> str:
    """The full URL of the lecture section that teaches ``check`` (or "")."""
    return f"{site_url}{check.lecture}" if check.lecture and site_url else check.lecture


def faq_link(check: CheckResult, site_url: str) -> str:
    """The full URL of the FAQ entry for the usual reason ``check`` fails (or "")."""
    return f"{site_url}{check.faq}" if check.faq and site_url else check.faq


def what_to_fix(
    report: Report, audience: str = "student", hidden_policy: str = "full", site_url: str = ""
) -> list[tuple[CheckResult, str, str]]:
    """(check, feedback the audience may read, lecture link) for every check that did not pass."""
    policy = "full" if audience == "instructor" else hidden_policy
    items = []
    for c in report.checks:
        if c.status == "passed" or (policy == "none" and c.visibility == "hidden"):
            continue
        text = c.feedback if audience == "instructor" else _student_feedback(c, policy)
        items.append((c, text, lecture_link(c, site_url)))
    return items


def render_markdown(
    report: Report, audience: str = "instructor", hidden_policy: str = "full", site_url: str = ""
) -> str:
    """A score table plus feedback (and the lecture to read) on every check that did not pass."""
    policy = "full" if audience == "instructor" else hidden_policy
    checks = report.checks
    if policy == "none" and audience != "instructor":
        checks = [c for c in checks if c.visibility != "hidden"]
    note = authority_note(report)
    lines = [f"> **{note}**", ""] if note else []
    lines += [
        f"## {report.homework}: {report.points:g} / {report.max_points:g} points",
        "",
        f"Mode: `{report.mode}` · commit `{report.commit[:12]}` · grader {report.grader_version} · "
        f"isolation: {report.isolation.get('level', '?')}",
        "",
        "| | Check | Points | Status |",
        "|---|---|---:|---|",
    ]
    for c in checks:
        lines.append(
            f"| {ICONS[c.status]} | `{c.id}` {_escape_cell(c.title)} | {c.points:g} / {c.max_points:g} | {c.status} |"
        )
    hidden_total = [c for c in report.checks if c.visibility == "hidden"]
    if policy == "none" and audience != "instructor" and hidden_total:
        earned = sum(c.points for c in hidden_total)
        available = sum(c.max_points for c in hidden_total)
        lines.append(f"| | Hidden checks ({len(hidden_total)}) | {earned:g} / {available:g} | |")
    problems = what_to_fix(report, audience, hidden_policy, site_url)
    if problems:
        lines += ["", "### What to fix", ""]
        for c, text, link in problems:
            read = (
                f" · read: [{c.lecture.split('/')[1] if '/' in c.lecture else c.lecture}]({link})"
                if link
                else ""
            )
            faq = faq_link(c, site_url)
            read += f" · FAQ: [{c.faq.rpartition('#')[2]}]({faq})" if faq else ""
            if text or read:
                lines += [
                    f"<details><summary>{ICONS[c.status]} <code>{c.id}</code>: {c.status}{read}</summary>",
                    "",
                    "```text",
                    (text or "(no details)").strip(),
                    "```",
                    "",
                    "</details>",
                    "",
                ]
    if report.load:
        lines += ["", *load_table(report.load)]
    notes = report.isolation.get("notes") or []
    if notes:
        lines += ["", "Isolation notes: " + "; ".join(notes)]
    return "\n".join(lines) + "\n"


def load_table(load: dict) -> list[str]:
    """The stress test as Markdown: capacity ratio and every step of both best windows."""
    from grader.report.knee import _best_steps

    yours, theirs = load["submission"], load["calibration"]
    lines = [
        "### Stress test",
        "",
        f"Capacity {yours['capacity_rps']:.1f} RPS vs the "
        f"{load.get('calibration_variant', 'plain')} calibration service's "
        f"{theirs['capacity_rps']:.1f} RPS (ratio {load['capacity_ratio']:.2f}); spread between "
        f"windows {yours['spread']:.0%} (yours), {theirs['spread']:.0%} (calibration). "
        "Steps marked * went over a bound and do not count. Plot: `load.png`.",
        "",
        "| Users | RPS | p50 ms | p95 ms | errors | calibration RPS | p50 ms | p95 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    others = {s["users"]: s for s in _best_steps(theirs)}

    def cells(step: dict | None) -> str:
        if step is None:
            return " | | | "
        errors = step["failures"] / step["requests"] if step["requests"] else 1.0
        mark = "" if step["qualifies"] else "*"
        return (
            f"{step['rps']:.1f}{mark} | {step['p50_ms']:.1f} | {step['p95_ms']:.1f} | {errors:.1%}"
        )

    for step in _best_steps(yours):
        lines.append(f"| {step['users']} | {cells(step)} | {cells(others.get(step['users']))} |")
    return lines


def render_junit(report: Report) -> str:
    """One JUnit test case per check (skipped checks as ``<skipped>``)."""
    note = authority_note(report)
    suite = ET.Element(
        "testsuite",
        name=f"grader.{report.homework}" + (" (not authoritative)" if note else ""),
        tests=str(len(report.checks)),
        failures=str(sum(c.status == "failed" for c in report.checks)),
        errors=str(sum(c.status == "error" for c in report.checks)),
        skipped=str(sum(c.status == "skipped" for c in report.checks)),
        time=f"{report.duration_s:.3f}",
    )
    ET.SubElement(suite, "properties").extend(
        [
            ET.Element("property", name="authoritative", value=str(report.authoritative).lower()),
            ET.Element("property", name="isolation", value=str(report.isolation.get("level"))),
        ]
    )
    for c in report.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report.homework}.{c.stage}",
            name=c.id,
            time=f"{c.duration_s:.3f}",
        )
        ET.SubElement(case, "properties").extend(
            [
                ET.Element("property", name="points", value=f"{c.points:g}"),
                ET.Element("property", name="max_points", value=f"{c.max_points:g}"),
            ]
        )
        if c.status in ("failed", "error"):
            node = ET.SubElement(
                case, "failure" if c.status == "failed" else "error", message=c.title
            )
            node.text = c.feedback
        elif c.status == "skipped":
            ET.SubElement(case, "skipped", message=c.feedback)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render_gradescope(report: Report, hidden_policy: str = "full") -> str:
    """Gradescope's ``results.json``: tests with score, max_score, status, output and visibility."""
    visibility = {
        "visible": "visible",
        "hidden": "after_published" if hidden_policy != "none" else "hidden",
    }
    tests = [
        {
            "name": f"{c.id}: {c.title}",
            "number": str(i),
            "score": c.points,
            "max_score": c.max_points,
            "status": "passed" if c.status == "passed" else "failed",
            "output": c.feedback,
            "visibility": visibility[c.visibility],
        }
        for i, c in enumerate(report.checks, start=1)
    ]
    doc = {
        "score": report.points,
        "execution_time": round(report.duration_s, 1),
        "output": (f"{note}\n" if (note := authority_note(report)) else "")
        + f"{report.homework}: {report.points:g} / {report.max_points:g} (grader {report.grader_version})",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(doc, indent=2) + "\n"


def write_reports(
    report: Report,
    outdir: Path | ReportDirectory,
    audience: str = "instructor",
    hidden_policy: str = "full",
    site_url: str = "",
) -> dict[str, Path]:
    """Write all renderings (each atomically, never through a link) and return their paths.

    A path is created by the grader, or must be a report directory it created before.
    """
    directory = outdir if isinstance(outdir, ReportDirectory) else ReportDirectory.create(outdir)
    try:
        return {
            "json": directory.write("report.json", json.dumps(report.to_dict(), indent=2) + "\n"),
            "markdown": directory.write(
                "report.md", render_markdown(report, audience, hidden_policy, site_url)
            ),
            "junit": directory.write("junit.xml", render_junit(report)),
            "gradescope": directory.write("results.json", render_gradescope(report, hidden_policy)),
            **({"knee": directory.write("load.png", knee_png(report.load))} if report.load else {}),
        }
    finally:
        if directory is not outdir:
            directory.close()
