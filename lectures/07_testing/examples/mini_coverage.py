"""Line coverage with the standard library only: a teaching stand-in for coverage.py/pytest-cov.

coverage.py is not installed in the course environment, so this script shows the idea with
``sys.settrace``: run the test suite in-process, record every (file, line) that executes,
and compare with the lines that *could* execute (found by compiling the file and walking
its code objects). In a real project use ``pytest --cov=src --cov-report=term-missing
--cov-fail-under=80`` instead; the report below mimics that format.

    uv run python lectures/07_testing/examples/mini_coverage.py
    uv run python lectures/07_testing/examples/mini_coverage.py --fail-under 90 -- -m api
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
SUITE = HERE / "check_churn_model_behaviour.py"
SOURCES = [HERE / "churn_checks.py", HERE / "churn_api.py"]
PRAGMA = "pragma: no cover"


def executable_lines(path: Path) -> set[int]:
    """Line numbers that carry bytecode, minus blocks marked ``# pragma: no cover``."""
    source = path.read_text()
    lines: set[int] = set()
    stack: list[CodeType] = [compile(source, str(path), "exec")]
    while stack:
        code = stack.pop()
        lines.update(line for _, _, line in code.co_lines() if line)  # skip None and 0
        stack.extend(const for const in code.co_consts if isinstance(const, CodeType))
    text = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        lineno = getattr(node, "lineno", None)
        if lineno is not None and PRAGMA in text[lineno - 1]:
            lines -= set(range(lineno, (node.end_lineno or lineno) + 1))
    return lines


class LineCollector:
    """Records executed lines of the target files in every thread while active."""

    def __init__(self, targets: list[Path]) -> None:
        self.targets = {os.path.realpath(t) for t in targets}
        self.hits: dict[str, set[int]] = {t: set() for t in self.targets}
        self._known: dict[str, str | None] = {}

    def _target_of(self, filename: str) -> str | None:
        if filename not in self._known:
            real = os.path.realpath(filename)
            self._known[filename] = real if real in self.targets else None
        return self._known[filename]

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        # Called on every function call; returning None keeps other files untraced (cheap).
        if event == "call" and self._target_of(frame.f_code.co_filename):
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            target = self._target_of(frame.f_code.co_filename)
            if target is not None:
                self.hits[target].add(frame.f_lineno)
        return self._local

    def start(self) -> None:
        """Trace the current thread and every thread started from now on."""
        threading.settrace(self._global)
        sys.settrace(self._global)

    def stop(self) -> None:
        """Stop tracing."""
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]


@dataclass
class FileCoverage:
    """Coverage numbers for one source file."""

    name: str
    statements: int
    missing: list[int]

    @property
    def percent(self) -> float:
        """Covered share of executable lines, in percent."""
        if not self.statements:
            return 100.0
        return 100.0 * (self.statements - len(self.missing)) / self.statements


def ranges(numbers: list[int]) -> str:
    """Compress [3, 4, 5, 9] into '3-5, 9' like coverage's Missing column."""
    parts: list[list[int]] = []
    for n in sorted(numbers):
        if parts and parts[-1][1] == n - 1:
            parts[-1][1] = n
        else:
            parts.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def measure(collector: LineCollector, sources: list[Path]) -> list[FileCoverage]:
    """Compare executed lines with executable lines for each source."""
    out = []
    for path in sources:
        possible = executable_lines(path)
        ran = collector.hits[os.path.realpath(path)]
        out.append(FileCoverage(path.name, len(possible), sorted(possible - ran)))
    return out


def render(files: list[FileCoverage]) -> str:
    """A term-missing style table."""
    rows = [f"{'Name':<20}{'Stmts':>6}{'Miss':>6}{'Cover':>7}   Missing"]
    for f in files:
        rows.append(
            f"{f.name:<20}{f.statements:>6}{len(f.missing):>6}{f.percent:>6.0f}%   "
            f"{ranges(f.missing)}"
        )
    total = sum(f.statements for f in files)
    missed = sum(len(f.missing) for f in files)
    rows.append(f"{'TOTAL':<20}{total:>6}{missed:>6}{100.0 * (total - missed) / total:>6.0f}%")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the example suite under the tracer, print the report, enforce ``--fail-under``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", type=float, default=70.0)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    collector = LineCollector(SOURCES)
    collector.start()
    try:
        rc = pytest.main(
            ["-q", "-p", "no:cacheprovider", "-c", str(HERE / "pytest.ini"), str(SUITE)]
            + args.pytest_args
        )
    finally:
        collector.stop()

    files = measure(collector, SOURCES)
    print("\nmini_coverage (stand-in for coverage.py): line coverage of the example sources")
    print(render(files))
    total = sum(f.statements for f in files)
    percent = 100.0 * (total - sum(len(f.missing) for f in files)) / total
    if args.json:
        payload = {
            "pytest_exit_code": int(rc),
            "total_percent": round(percent, 2),
            "files": {f.name: {"statements": f.statements, "missing": f.missing} for f in files},
        }
        args.json.write_text(json.dumps(payload, indent=2))
    if rc != 0:
        return int(rc)
    if percent < args.fail_under:
        print(f"FAIL: total coverage {percent:.1f}% is below --fail-under={args.fail_under}")
        return 2
    print(f"OK: total coverage {percent:.1f}% >= --fail-under={args.fail_under}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
