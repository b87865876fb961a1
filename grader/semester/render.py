"""The roster as Markdown for the course site (``{{ semester_roster() }}`` in the runbook)."""

from __future__ import annotations

from grader.semester.roster import Roster, format_offset, load_roster


def render_roster_markdown(roster: Roster | None = None) -> str:
    """One table per available homework (student, base, variation, submitted); a line per unavailable one."""
    roster = roster or load_roster()
    lines: list[str] = []
    for hw, homework in roster.homeworks.items():
        if not homework.available:
            lines += [
                f"**{hw}**: declared with {homework.declared_students} students, not available yet ({homework.reason}).",
                "",
            ]
            continue
        bases = ", ".join(f"`{name}` ({base.path.name})" for name, base in homework.bases.items())
        lines += [
            f"**{hw}**: {len(homework.students)} students from the bases {bases} and the starter.",
            "",
            "| Student | Base | Variation | Submitted (from the deadline) |",
            "|---|---|---|---|",
        ]
        for s in homework.students:
            origin = f"disguised copy of `{s.copy_of}`" if s.copy_of else s.variation
            lines.append(f"| `{s.id}` | {s.base} | {origin} | {format_offset(s.submitted)} |")
        lines.append("")
    for a in roster.adjustments:
        lines.append(
            f"TA adjustment written by the rehearsal: `{a.student}` {a.homework} {a.points:+g} ({a.reason})."
        )
    return "\n".join(lines).rstrip("\n") + "\n"
