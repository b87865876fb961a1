"""Report directories: created by the grader, refused otherwise, never written through a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.report.directory import MARKER, ReportDirectory


def test_the_grader_creates_the_directory_and_may_reuse_it(tmp_path: Path) -> None:
    target = tmp_path / "out" / "reports"
    with ReportDirectory.create(target) as reports:
        reports.write("report.json", "{}")
    assert (target / MARKER).is_file()
    with ReportDirectory.create(target) as again:  # e.g. a second `grader check --out`
        again.write("report.json", "[]")
    assert (target / "report.json").read_text() == "[]"


def test_a_directory_the_grader_did_not_create_is_refused(tmp_path: Path) -> None:
    planted = tmp_path / "grades"
    planted.mkdir()
    (planted / "report.json").write_text('{"score": 100}')
    with pytest.raises(UsageError, match="did not create it"):
        ReportDirectory.create(planted)
    assert (planted / "report.json").read_text() == '{"score": 100}'


def test_a_link_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "grades").symlink_to(elsewhere)
    with pytest.raises(UsageError):
        ReportDirectory.create(tmp_path / "grades")
    assert list(elsewhere.iterdir()) == []


def test_planted_links_and_files_are_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text("another student's report")
    with ReportDirectory.create(tmp_path / "grades") as reports:
        student = reports.child("alice")
        (tmp_path / "grades" / "alice" / "report.json").symlink_to(victim)
        (tmp_path / "grades" / "alice" / "report.md").write_text("planted: 100/100")
        student.write("report.json", '{"points": 3}')
        student.write("report.md", "3 / 100")
        student.close()
    assert victim.read_text() == "another student's report"
    written = tmp_path / "grades" / "alice" / "report.json"
    assert not written.is_symlink() and written.read_text() == '{"points": 3}'
    assert (tmp_path / "grades" / "alice" / "report.md").read_text() == "3 / 100"


def test_a_student_directory_swapped_after_creation_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "bob-elsewhere"
    other.mkdir()
    with ReportDirectory.create(tmp_path / "grades") as reports:
        reports.child("bob").close()  # created before any submission runs
        created = tmp_path / "grades" / "bob"
        os.rename(created, tmp_path / "grades" / "bob-old")
        created.symlink_to(other)
        with pytest.raises(UsageError):
            reports.child("bob")
        created.unlink()
        created.mkdir()  # a real directory, but not the one the grader made
        with pytest.raises(UsageError, match="replaced"):
            reports.child("bob")
    assert list(other.iterdir()) == []


def test_a_batch_refuses_an_existing_output_directory(tmp_path: Path) -> None:
    from grader.grading.batch import SubmissionRef, run_batch
    from grader.grading.context import Options

    out = tmp_path / "grades"
    out.mkdir()
    (out / "alice").mkdir()
    with pytest.raises(UsageError, match="did not create it"):
        run_batch(
            "hw1",
            [SubmissionRef("alice", str(tmp_path))],
            out,
            Options(skip_load=True, allow_partial_isolation=True),
            1,
            lambda message: None,
        )
