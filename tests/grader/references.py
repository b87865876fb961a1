"""The course's reference solutions, each graded once per test session (a shared cache)."""

from __future__ import annotations

import threading
from pathlib import Path

from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.report.model import Report

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_SOLUTIONS = {
    "hw1": ROOT / "homework" / "hw1_api" / "solution",
    "hw2": ROOT / "homework" / "hw2_db_k8s" / "solution",
    "hw3": ROOT / "homework" / "hw3_ci_monitoring" / "solution",
}
# The short test profile of the stress test, and a fixed commit: what is generated at grading
# time (planted bugs, customers) is seeded by it, so these tests do not depend on the repo's HEAD.
REFERENCE_LOAD_SECONDS = 5.0
REFERENCE_COMMIT = "5eed" * 10


class ReferenceReports:
    """Each homework's reference solution graded with the whole rubric, once per test session."""

    def __init__(self) -> None:
        self._reports: dict[str, Report] = {}
        self._locks = {hw: threading.Lock() for hw in REFERENCE_SOLUTIONS}

    def get(self, homework: str) -> Report:
        """The reference's report (graded on first use; thread-safe)."""
        with self._locks[homework]:
            if homework not in self._reports:
                self._reports[homework] = grade_submission(
                    homework,
                    REFERENCE_SOLUTIONS[homework],
                    options=Options(load_seconds=REFERENCE_LOAD_SECONDS),
                    commit=REFERENCE_COMMIT,
                )
            return self._reports[homework]
