"""The simulated class's roster (``class.toml``): bases and students per homework, validated."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UsageError

DEFAULT_ROSTER = Path(__file__).resolve().parent / "class.toml"
VARIATIONS = ("complete", "partial", "slow", "broken_tests", "missing_files", "starter_edits")
OFFSET = re.compile(r"^([+-])((?:\d+[dhm])+)$")
PART = re.compile(r"(\d+)([dhm])")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Location:
    """A function in a base's file (where the slow variation sleeps, what partial removes)."""

    file: str
    function: str


@dataclass(frozen=True)
class Base:
    """An independently written implementation of a homework."""

    name: str
    path: Path
    predict: Location | None = None
    batch: Location | None = None
    readme: str = "README.md"
    tests: str = "tests"


@dataclass(frozen=True)
class Student:
    """One simulated student: where their code came from, what they changed, when they submitted."""

    id: str
    base: str
    variation: str
    submitted: dt.timedelta
    copy_of: str | None = None


@dataclass(frozen=True)
class Homework:
    """One homework of the roster; ``available`` is False for homework the grader cannot grade yet."""

    id: str
    available: bool
    reason: str = ""
    starter: Path | None = None
    course_files: dict[str, Path] = field(default_factory=dict)
    slow_seconds: float = 0.05
    bases: dict[str, Base] = field(default_factory=dict)
    students: list[Student] = field(default_factory=list)
    declared_students: int = 0


@dataclass(frozen=True)
class Adjustment:
    """A TA adjustment the rehearsal writes into its adjustments file."""

    student: str
    homework: str
    points: float
    reason: str


@dataclass(frozen=True)
class Roster:
    """Every homework of the simulated class, and the TA adjustments of the rehearsal."""

    homeworks: dict[str, Homework]
    adjustments: list[Adjustment] = field(default_factory=list)


def parse_offset(text: str) -> dt.timedelta:
    """``"-20h"``, ``"+1d6h"``, ``"+10m"`` as a signed timedelta."""
    match = OFFSET.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"submitted must look like -20h, +1d6h or +10m, not {text!r}")
    delta = dt.timedelta(**{UNITS[u]: 0 for u in UNITS})
    for amount, unit in PART.findall(match.group(2)):
        delta += dt.timedelta(**{UNITS[unit]: int(amount)})
    return -delta if match.group(1) == "-" else delta


def format_offset(delta: dt.timedelta) -> str:
    """The inverse of :func:`parse_offset`: ``-20h``, ``+1d6h``, ``+10m``."""
    sign = "-" if delta < dt.timedelta(0) else "+"
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return sign + ("".join(parts) or "0m")


def _location(raw: object, where: str) -> Location | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"file", "function"}:
        raise ValueError(f"{where} must be {{ file = ..., function = ... }}")
    return Location(str(raw["file"]), str(raw["function"]))


def _homework(hw: str, raw: dict, root: Path) -> Homework:
    if not raw.get("available", False):
        # `students` is a count, or the class itself when it is declared ahead of time.
        declared = raw.get("students", 0)
        return Homework(
            hw,
            False,
            str(raw.get("reason", "not available yet")),
            declared_students=len(declared) if isinstance(declared, list) else int(declared),
        )
    bases = {}
    for name, spec in raw.get("bases", {}).items():
        path = root / spec["path"]
        if not path.is_dir():
            raise ValueError(f"{hw}.bases.{name}: {spec['path']} is not a directory")
        bases[name] = Base(
            name,
            path,
            _location(spec.get("predict"), f"{hw}.bases.{name}.predict"),
            _location(spec.get("batch"), f"{hw}.bases.{name}.batch"),
            spec.get("readme", "README.md"),
            spec.get("tests", "tests"),
        )
    starter = root / raw["starter"] if raw.get("starter") else None
    if starter is not None and not starter.is_dir():
        raise ValueError(f"{hw}.starter: {raw['starter']} is not a directory")
    by_id: dict[str, dict] = {}
    for entry in raw.get("students", []):
        student_id = str(entry.get("id", ""))
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", student_id):
            raise ValueError(f"{hw}: student id {student_id!r} (letters, digits, _.- only)")
        if student_id in by_id:
            raise ValueError(f"{hw}: student {student_id} is listed twice")
        by_id[student_id] = entry
    students = []
    for student_id, entry in by_id.items():
        unknown = set(entry) - {"id", "base", "variation", "submitted", "copy_of"}
        if unknown:
            raise ValueError(f"{hw}.{student_id}: unknown keys {sorted(unknown)}")
        original = entry.get("copy_of")
        if original is not None:
            if original not in by_id or by_id[original].get("copy_of"):
                raise ValueError(
                    f"{hw}.{student_id}: copy_of {original!r} is not an original student"
                )
            source = by_id[original]
            base, variation = source.get("base", ""), source.get("variation", "")
        else:
            base, variation = entry.get("base", ""), entry.get("variation", "")
        if base != "starter" and base not in bases:
            raise ValueError(
                f"{hw}.{student_id}: unknown base {base!r} (have {sorted(bases)}, starter)"
            )
        if variation not in VARIATIONS:
            raise ValueError(f"{hw}.{student_id}: variation {variation!r} not in {VARIATIONS}")
        if (base == "starter") != (variation == "starter_edits"):
            raise ValueError(f"{hw}.{student_id}: starter_edits goes with base = 'starter' only")
        if base == "starter" and starter is None:
            raise ValueError(f"{hw}.{student_id}: base 'starter' needs {hw}.starter")
        needs = {"slow": "predict", "partial": "batch"}.get(variation)
        if needs and base != "starter" and getattr(bases[base], needs) is None:
            raise ValueError(
                f"{hw}.{student_id}: variation {variation} needs {hw}.bases.{base}.{needs}"
            )
        students.append(
            Student(
                student_id, base, variation, parse_offset(entry.get("submitted", "-1h")), original
            )
        )
    if len(students) < 2:
        raise ValueError(f"{hw}: a class needs at least two students")
    return Homework(
        hw,
        True,
        starter=starter,
        course_files={dest: root / src for dest, src in raw.get("course_files", {}).items()},
        slow_seconds=float(raw.get("slow_seconds", 0.05)),
        bases=bases,
        students=students,
    )


def load_roster(path: Path | None = None, root: Path | None = None) -> Roster:
    """Read and validate a roster; every problem is a one-line UsageError."""
    path = path or DEFAULT_ROSTER
    root = root or Path(__file__).resolve().parents[2]
    try:
        raw = tomllib.loads(path.read_text())
        adjustments = [
            Adjustment(str(a["student"]), str(a["homework"]), float(a["points"]), str(a["reason"]))
            for a in raw.pop("adjustments", [])
        ]
        homeworks = {hw: _homework(hw, table, root) for hw, table in raw.items()}
        for adjustment in adjustments:
            if not adjustment.reason.strip():
                raise ValueError(f"adjustment for {adjustment.student}: a reason is required")
        return Roster(homeworks, adjustments)
    except OSError as exc:
        raise UsageError(f"cannot read roster {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        raise UsageError(f"invalid roster {path}: {exc}") from exc
