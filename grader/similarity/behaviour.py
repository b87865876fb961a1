"""Behavioural similarity: students whose hidden checks fail in exactly the same way.

Two independent implementations rarely fail the same hidden cases with the same wrong answers; a
copy does. A signature is the set of (check, feedback) of every hidden check that was *partly*
right: it earned some of its points and lost others, so its feedback names the particular cases
it got wrong. A check that earned nothing is left out: a missing endpoint or the starter's 501
fails the same way for everybody who has it, copied or not. Signatures shared by many students
are a common mistake, not a copy, so only groups up to ``max_group`` students are flagged.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from grader.course.config import SimilaritySettings


@dataclass(frozen=True)
class SharedFailures:
    """Two students with the same failure signature."""

    a: str
    b: str
    checks: tuple[str, ...]


def failure_signature(report: dict) -> frozenset[tuple[str, str]]:
    """The hidden checks that were partly right, with the cases they got wrong."""
    return frozenset(
        (check["id"], check.get("feedback", ""))
        for check in report.get("checks", [])
        if check.get("visibility") == "hidden"
        and check.get("status") == "failed"
        and 0 < float(check.get("points", 0)) < float(check.get("max_points", 0))
    )


def read_reports(reports_dir: Path) -> dict[str, dict]:
    """``<reports_dir>/<student>/report.json`` of a batch, by student id."""
    reports = {}
    for path in sorted(reports_dir.glob("*/report.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        reports[str(data.get("student_id") or path.parent.name)] = data
    return reports


def shared_failures(reports: dict[str, dict], settings: SimilaritySettings) -> list[SharedFailures]:
    """Pairs of students whose failure signatures are identical, non-trivial and rare."""
    groups: dict[frozenset, list[str]] = defaultdict(list)
    for student, report in reports.items():
        signature = failure_signature(report)
        if len(signature) >= settings.min_shared_failures:
            groups[signature].append(student)
    pairs = []
    for signature, students in groups.items():
        if 2 <= len(students) <= settings.max_group:
            checks = tuple(sorted({check_id for check_id, _ in signature}))
            pairs.extend(SharedFailures(a, b, checks) for a, b in combinations(sorted(students), 2))
    return sorted(pairs, key=lambda p: (p.a, p.b))
