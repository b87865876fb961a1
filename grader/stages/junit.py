"""Read pytest's JUnit XML and reconcile it with the exit code (which a submission cannot rewrite later)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

MAX_JUNIT_BYTES = 5 * 1024 * 1024


@dataclass
class TestCounts:
    """Totals of one pytest run."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    readable: bool = True


def read_junit(path: Path) -> TestCounts:
    """Parse ``path``; an absent, oversize or malformed file gives ``readable=False``."""
    if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_JUNIT_BYTES:
        return TestCounts(readable=False)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return TestCounts(readable=False)
    counts = TestCounts()
    for case in root.iter("testcase"):
        counts.total += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("skipped") is not None:
            counts.skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            counts.failed += 1
            node = case.find("failure") if case.find("failure") is not None else case.find("error")
            message = (node.get("message") or "").splitlines()[0][:200] if node is not None else ""
            counts.failures.append(f"{name}: {message}")
        else:
            counts.passed += 1
    return counts


def reconcile(counts: TestCounts, returncode: int | None) -> TestCounts:
    """Trust the exit code over the file: a non-zero exit with an all-green file means tampering or a crash.

    Only pytest's own outcomes count: 0 (all passed), 1 (some failed: the file must show a failure)
    and 5 (nothing collected). A signal, an interruption or an internal error voids the results, so
    a process that kills pytest and supplies its own results gains nothing.
    """
    if returncode not in (0, 1, 5) or (returncode == 1 and counts.failed == 0):
        counts.passed = 0
        counts.failed = max(counts.total, 1)
        counts.failures.append(
            "pytest exited with an error although the results file shows no failure"
        )
    return counts
