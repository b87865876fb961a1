"""Line coverage of a submission's app code, from the lines the grader's tracer saw executed.

The statements that count are coverage.py's: its parser reads each app file (as text, never
importing it), joins multi-line statements to their first line and leaves out what
``# pragma: no cover`` excludes, so the figure matches what ``pytest --cov`` shows the student.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coverage.exceptions import NotPython
from coverage.parser import PythonParser

EXCLUDE = r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)|^\s*if __name__ == .__main__.:"
MAX_FILE_BYTES = 1_000_000


@dataclass
class FileCoverage:
    """One file: its statements and the ones executed."""

    path: str
    statements: int
    covered: int
    missing: list[int] = field(default_factory=list)


@dataclass
class Coverage:
    """The app code's coverage, overall and per file."""

    files: list[FileCoverage]

    @property
    def statements(self) -> int:
        """Statements counted."""
        return sum(f.statements for f in self.files)

    @property
    def covered(self) -> int:
        """Statements executed."""
        return sum(f.covered for f in self.files)

    @property
    def share(self) -> float:
        """Covered / statements (0 with no statements)."""
        return self.covered / self.statements if self.statements else 0.0

    def worst(self, n: int = 5) -> list[FileCoverage]:
        """The ``n`` files with the most missed statements."""
        ranked = sorted(self.files, key=lambda f: f.statements - f.covered, reverse=True)
        return [f for f in ranked[:n] if f.statements > f.covered]


def app_files(src: Path, app: Iterable[str]) -> list[Path]:
    """The ``.py`` files of the declared app paths (files or directories) inside ``src``."""
    found: set[Path] = set()
    root = src.resolve()
    for entry in app:
        path = (src / entry).resolve()
        if not path.is_relative_to(root):
            continue
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in candidates:
            if file.suffix == ".py" and not file.is_symlink() and file.is_relative_to(root):
                found.add(file)
    return sorted(found)


def measure(src: Path, app: Iterable[str], executed: set[str]) -> Coverage:
    """Coverage of the app files under ``src`` given executed ``"relative/path.py:LINE"`` entries."""
    root = src.resolve()
    files: list[FileCoverage] = []
    for file in app_files(src, app):
        relative = file.relative_to(root).as_posix()
        if file.stat().st_size > MAX_FILE_BYTES:
            files.append(FileCoverage(relative, 1, 0, [1]))
            continue
        text = file.read_text(errors="replace")
        if not text.strip():
            continue  # an empty module (a package's __init__.py) has no statements
        parser = PythonParser(text=text, exclude=EXCLUDE)
        try:
            parser.parse_source()
        except NotPython:
            files.append(FileCoverage(relative, 1, 0, [1]))  # a file that does not parse
            continue
        statements = parser.statements
        run = {
            parser.first_line(int(line))
            for entry in executed
            if entry.rpartition(":")[0] == relative and (line := entry.rpartition(":")[2]).isdigit()
        }
        missing = sorted(statements - run)
        files.append(
            FileCoverage(relative, len(statements), len(statements) - len(missing), missing)
        )
    return Coverage(files)


def ranges(lines: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"`` (the way coverage.py prints missing lines)."""
    parts: list[str] = []
    start = prev = None
    for line in lines:
        if prev is not None and line == prev + 1:
            prev = line
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if start != prev else f"{start}")
        start = prev = line
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(parts)
