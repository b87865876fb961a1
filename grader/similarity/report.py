"""The similarity report: a CSV of flagged pairs and a self-contained HTML page with the shared code."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass

from grader.similarity.behaviour import SharedFailures
from grader.similarity.code import Document, PairMatch

CSV_FIELDS = [
    "signal",
    "student_a",
    "student_b",
    "similarity_a",
    "similarity_b",
    "overlap_tokens",
    "regions_a",
    "regions_b",
    "shared_failing_checks",
]


@dataclass
class SimilarityResult:
    """Everything one similarity run found."""

    homework: str
    students: list[str]
    code_pairs: list[PairMatch]  # every pair, most similar first
    flagged: list[PairMatch]  # the pairs over the course's threshold
    behaviour: list[SharedFailures]
    starter: str  # where the boilerplate came from ("" = none)


def render_csv(result: SimilarityResult) -> str:
    """One row per flagged pair and signal (``code`` or ``behaviour``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for pair in result.flagged:
        writer.writerow(
            {
                "signal": "code",
                "student_a": pair.a,
                "student_b": pair.b,
                "similarity_a": f"{pair.similarity_a:.3f}",
                "similarity_b": f"{pair.similarity_b:.3f}",
                "overlap_tokens": pair.overlap_tokens,
                "regions_a": "; ".join(pair.regions_a),
                "regions_b": "; ".join(pair.regions_b),
                "shared_failing_checks": "",
            }
        )
    for pair in result.behaviour:
        writer.writerow(
            {
                "signal": "behaviour",
                "student_a": pair.a,
                "student_b": pair.b,
                "shared_failing_checks": "; ".join(pair.checks),
            }
        )
    return buffer.getvalue()


def _highlight(document: Document, slices: list[tuple[int, int]]) -> str:
    """The document as escaped HTML, shared ranges marked, one block per file that has any."""
    blocks = []
    for segment in document.segments:
        inside = [
            (max(s, segment.start) - segment.start, min(e, segment.end) - segment.start)
            for s, e in slices
            if s < segment.end and e > segment.start
        ]
        if not inside:
            continue
        out, cursor = [], 0
        for start, end in sorted(inside):
            start = max(start, cursor)
            out.append(html.escape(segment.text[cursor:start]))
            out.append(f"<mark>{html.escape(segment.text[start:end])}</mark>")
            cursor = max(cursor, end)
        out.append(html.escape(segment.text[cursor:]))
        blocks.append(f"<h4>{html.escape(segment.path)}</h4><pre>{''.join(out)}</pre>")
    return "".join(blocks) or "<p>(no shared code)</p>"


def render_html(result: SimilarityResult, documents: dict[str, Document]) -> str:
    """A page with the pair table and, for each flagged pair, both sides' shared code marked."""
    rows = "".join(
        f"<tr{' class=flagged' if pair in result.flagged else ''}><td>{html.escape(pair.a)}</td>"
        f"<td>{html.escape(pair.b)}</td><td>{pair.similarity_a:.0%}</td>"
        f"<td>{pair.similarity_b:.0%}</td><td>{pair.overlap_tokens}</td></tr>"
        for pair in result.code_pairs
    )
    details = "".join(
        f"<section id='{html.escape(p.a)}--{html.escape(p.b)}'><h3>{html.escape(p.a)} ↔ "
        f"{html.escape(p.b)} ({p.similarity:.0%})</h3><div class=sides>"
        f"<div>{_highlight(documents[p.a], p.slices_a)}</div>"
        f"<div>{_highlight(documents[p.b], p.slices_b)}</div></div></section>"
        for p in result.flagged
    )
    behaviour = "".join(
        f"<li>{html.escape(p.a)} ↔ {html.escape(p.b)}: {html.escape(', '.join(p.checks))}</li>"
        for p in result.behaviour
    )
    starter = html.escape(result.starter or "none")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Similarity — {html.escape(result.homework)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2rem .6rem; }}
tr.flagged {{ background: #fde2e2; }}
.sides {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }}
pre {{ background: #f6f6f6; padding: .5rem; overflow-x: auto; font-size: .8rem; }}
mark {{ background: #ffd27a; }}
</style></head><body>
<h1>Similarity report: {html.escape(result.homework)}</h1>
<p>{len(result.students)} submissions; starter (boilerplate): <code>{starter}</code>;
{len(result.flagged)} pair(s) flagged by shared code, {len(result.behaviour)} by identical failures.
A flag is a reason to look, not a verdict.</p>
<h2>Shared code, every pair</h2>
<table><tr><th>A</th><th>B</th><th>of A in B</th><th>of B in A</th><th>shared tokens</th></tr>
{rows}</table>
<h2>Identical failures of hidden checks</h2><ul>{behaviour or "<li>none</li>"}</ul>
<h2>Flagged pairs</h2>{details or "<p>none</p>"}
</body></html>
"""
