"""The course configuration (grade formula, scale, rounding, deadlines, late policy, feedback policy)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.paths import DEFAULT_COURSE_CONFIG


@dataclass(frozen=True)
class SimilaritySettings:
    """``[similarity]``: how code and failure similarity between students is measured and flagged."""

    extensions: tuple[str, ...] = ("py",)
    exclude: tuple[str, ...] = ()
    noise_threshold: int = 25
    guarantee_threshold: int = 30
    threshold: float = 0.5
    min_overlap_tokens: int = 150
    min_shared_failures: int = 2
    max_group: int = 3

    @property
    def window(self) -> int:
        """The winnowing window that guarantees every match of ``guarantee_threshold``."""
        return self.guarantee_threshold - self.noise_threshold + 1

    @classmethod
    def from_table(cls, table: dict) -> SimilaritySettings:
        """Validate the ``[similarity]`` table (unknown keys and impossible values are errors)."""
        unknown = set(table) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"similarity: unknown keys {sorted(unknown)}")
        settings = cls(
            **{
                key: tuple(value) if isinstance(value, list) else value
                for key, value in table.items()
            }
        )
        if settings.guarantee_threshold < settings.noise_threshold or settings.noise_threshold < 5:
            raise ValueError("similarity: need 5 <= noise_threshold <= guarantee_threshold")
        if not 0 < settings.threshold <= 1:
            raise ValueError("similarity: threshold must be in (0, 1]")
        if settings.max_group < 2:
            raise ValueError("similarity: max_group must be at least 2")
        return settings


@dataclass(frozen=True)
class CourseConfig:
    """Parsed ``course.toml``."""

    name: str
    repository: str
    grader_ref: str
    site_url: str
    scale: float
    rounding: int
    weights: dict[str, float]
    hidden_feedback: str
    deadlines: dict[str, dt.datetime]
    grace_minutes: float
    penalty_per_day: float
    max_days_late: int
    similarity: SimilaritySettings = SimilaritySettings()

    def formula(self) -> str:
        """The formula as text, e.g. ``0.33*hw1 + 0.33*hw2 + 0.33*hw3``."""
        return " + ".join(f"{w:g}*{hw}" for hw, w in self.weights.items())


def load_course_config(path: Path | None = None) -> CourseConfig:
    """Read and validate the course config (the shipped one by default)."""
    path = path or DEFAULT_COURSE_CONFIG
    try:
        raw = tomllib.loads(Path(path).read_text())
        deadlines = {hw: dt.datetime.fromisoformat(v) for hw, v in raw.get("deadlines", {}).items()}
        feedback = raw.get("feedback", {}).get("hidden_checks", "status")
        if feedback not in ("full", "status", "none"):
            raise ValueError(
                f"feedback.hidden_checks must be full, status or none, not {feedback!r}"
            )
        if any(d.tzinfo is None for d in deadlines.values()):
            raise ValueError("deadlines need a timezone offset")
        return CourseConfig(
            name=raw["course"]["name"],
            repository=raw["course"]["repository"],
            grader_ref=raw["course"].get("grader_ref", "main"),
            site_url=raw["course"].get("site_url", "").rstrip("/") + "/",
            scale=float(raw["grade"]["scale"]),
            rounding=int(raw["grade"]["rounding"]),
            weights={k: float(v) for k, v in raw["grade"]["weights"].items()},
            hidden_feedback=feedback,
            deadlines=deadlines,
            grace_minutes=float(raw["late_policy"]["grace_minutes"]),
            penalty_per_day=float(raw["late_policy"]["penalty_per_day"]),
            max_days_late=int(raw["late_policy"]["max_days_late"]),
            similarity=SimilaritySettings.from_table(raw.get("similarity", {})),
        )
    except OSError as exc:
        raise UsageError(f"cannot read course config {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        raise UsageError(f"invalid course config {path}: {exc}") from exc
