"""Authoritative grades need full isolation: batch refuses less unless told, reports say so."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from grader.errors import UsageError
from grader.report.model import Report
from grader.report.render import render_gradescope, render_junit, render_markdown
from grader.sandbox import capabilities

ROOT = Path(__file__).resolve().parents[2]


def partial(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend this machine offers only partial isolation."""
    real = capabilities.detect_isolation()
    degraded = dataclasses.replace(real, level="partial", notes=("bubblewrap not found",))
    import grader.grading.batch as batch

    monkeypatch.setattr(batch, "detect_isolation", lambda: degraded)


def test_batch_refuses_partial_isolation_without_the_flag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from grader.grading.batch import SubmissionRef, run_batch
    from grader.grading.context import Options

    partial(monkeypatch)
    with pytest.raises(UsageError, match="--allow-partial-isolation"):
        run_batch("hw1", [SubmissionRef("a", str(tmp_path))], tmp_path / "out", Options(), 1, print)
    assert not (tmp_path / "out").exists(), "nothing may be written before the refusal"


def report(mode: str, level: str, override: bool = False) -> Report:
    isolation = {"level": level, "filesystem": "", "network": "", "user": "", "process_limit": ""}
    return Report(
        homework="hw1",
        mode=mode,  # type: ignore[arg-type]
        student_id="s",
        repository="r",
        commit="c" * 40,
        grader_version="0",
        rubric_sha256="0" * 64,
        contract_version="1",
        isolation={**isolation, "notes": [], "override": override},
        calibration=None,
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.0,
    )


@pytest.mark.parametrize(
    ("mode", "level", "authoritative"),
    [("grade", "full", True), ("grade", "partial", False), ("check", "full", False)],
)
def test_every_rendering_states_a_non_authoritative_grade_at_the_top(
    mode: str, level: str, authoritative: bool
) -> None:
    graded = report(mode, level, override=level != "full")
    assert graded.authoritative is authoritative
    assert graded.to_dict()["authoritative"] is authoritative
    markdown = render_markdown(graded)
    gradescope = render_gradescope(graded)
    junit = render_junit(graded)
    if authoritative:
        assert "authoritative" not in markdown.lower()
        assert 'name="authoritative" value="true"' in junit
    else:
        assert markdown.startswith("> **") and "authoritative" in markdown.splitlines()[0]
        assert '"output": "' in gradescope and "authoritative" in gradescope.split("\n")[3]
        assert "(not authoritative)" in junit
    if level == "partial":
        assert "allowed by the instructor" in markdown


def test_the_regrade_workflow_grades_at_full_isolation() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/regrade.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    assert "bubblewrap" in runs and "sudo" in runs
    assert 'bin/grader" grade' in runs, "the grade step runs the grader itself under sudo"
    assert "--allow-partial-isolation" not in runs
    assert "--require-full-isolation" in runs
