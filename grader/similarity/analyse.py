"""Run both similarity signals over a class and decide which pairs are flagged."""

from __future__ import annotations

from pathlib import Path

from grader.course.config import SimilaritySettings
from grader.errors import UsageError
from grader.similarity.behaviour import read_reports, shared_failures
from grader.similarity.code import Document, compare_all, read_document
from grader.similarity.report import SimilarityResult


def submission_dirs(class_dir: Path) -> dict[str, Path]:
    """One subdirectory per student (hidden directories skipped)."""
    if not class_dir.is_dir():
        raise UsageError(f"not a directory: {class_dir}")
    found = {
        path.name: path
        for path in sorted(class_dir.iterdir())
        if path.is_dir() and not path.name.startswith(".")
    }
    if len(found) < 2:
        raise UsageError(f"{class_dir}: need at least two submission directories to compare")
    return found


def read_documents(
    submissions: dict[str, Path], settings: SimilaritySettings
) -> dict[str, Document]:
    """Each student's code as one document."""
    return {
        student: read_document(student, path, settings) for student, path in submissions.items()
    }


def analyse(
    homework: str,
    documents: dict[str, Document],
    settings: SimilaritySettings,
    starter: Path | None = None,
    reports_dir: Path | None = None,
) -> SimilarityResult:
    """Compare every pair of documents; flag code pairs over the thresholds and rare shared failures."""
    boilerplate = read_document("starter", starter, settings) if starter else None
    pairs = compare_all(list(documents.values()), boilerplate, settings)
    flagged = [
        pair
        for pair in pairs
        if pair.similarity >= settings.threshold
        and pair.overlap_tokens >= settings.min_overlap_tokens
    ]
    behaviour = shared_failures(read_reports(reports_dir), settings) if reports_dir else []
    return SimilarityResult(
        homework, sorted(documents), pairs, flagged, behaviour, str(starter or "")
    )


def write_similarity(
    directory, result: SimilarityResult, documents: dict[str, Document]
) -> dict[str, Path]:
    """``similarity-HW.csv`` and ``similarity-HW.html`` into a grader report directory."""
    from grader.similarity.report import render_csv, render_html

    return {
        "csv": directory.write(f"similarity-{result.homework}.csv", render_csv(result)),
        "html": directory.write(
            f"similarity-{result.homework}.html", render_html(result, documents)
        ),
    }
