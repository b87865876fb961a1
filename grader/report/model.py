"""The report data model. JSON is the source of truth; see ``report.schema.json`` for its schema."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

SCHEMA_VERSION = "1.2.0"
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
Status = Literal["passed", "failed", "error", "skipped"]


@dataclass
class CheckResult:
    """One rubric check's outcome. ``points`` is never more than ``max_points``."""

    id: str
    title: str
    stage: str
    visibility: str
    status: Status
    points: float
    max_points: float
    feedback: str = ""
    duration_s: float = 0.0
    lecture: str = ""  # site path of the lecture section that teaches it
    faq: str = ""  # site path of the FAQ entry for the usual reason it fails

    @classmethod
    def skipped(cls, check: Any, reason: str) -> CheckResult:
        """A check that could not run: awards nothing and says why."""
        return cls(
            check.id,
            check.title,
            check.stage,
            check.visibility,
            "skipped",
            0.0,
            check.points,
            f"skipped: {reason}",
            lecture=check.lecture_path(),
            faq=check.faq_path(),
        )


@dataclass
class Report:
    """Everything a grade consists of, for one submission of one homework."""

    homework: str
    mode: Literal["grade", "check"]
    student_id: str
    repository: str
    commit: str
    grader_version: str
    rubric_sha256: str
    contract_version: str
    isolation: dict[str, Any]
    calibration: dict[str, Any] | None
    started_at: str
    duration_s: float
    checks: list[CheckResult] = field(default_factory=list)
    submitted_at: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    load: dict[str, Any] | None = None
    mutation: dict[str, Any] | None = None
    schema_version: str = SCHEMA_VERSION

    @property
    def authoritative(self) -> bool:
        """The grade an instructor may record: every check (``grade``) at full isolation."""
        return self.mode == "grade" and self.isolation.get("level") == "full"

    @property
    def points(self) -> float:
        """Total points earned."""
        return round(sum(c.points for c in self.checks), 4)

    @property
    def max_points(self) -> float:
        """Total points available in the checks this mode ran."""
        return round(sum(c.max_points for c in self.checks), 4)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (with the total)."""
        data = asdict(self)
        data["authoritative"] = self.authoritative
        data["total"] = {"points": self.points, "max_points": self.max_points}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Rebuild a report from its JSON document."""
        data = dict(data)
        data.pop("total", None)
        data.pop("authoritative", None)
        checks = [CheckResult(**c) for c in data.pop("checks")]
        return cls(**data, checks=checks)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file and rename, so no half-written report is ever seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_report(path: Path) -> Report:
    """Read a JSON report."""
    return Report.from_dict(json.loads(path.read_text()))
