"""An exception inside one check is that check's error; the other checks still run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.checks import api as api_checks
from grader.grading.context import Options
from grader.grading.pipeline import grade_submission

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_full_isolation")]
BASE = Path(__file__).resolve().parent / "fixtures" / "submissions" / "_base"


def test_a_raising_check_is_an_error_naming_the_graders_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(probe: api_checks.ApiProbe) -> api_checks.Verdict:
        document = probe.request("GET", "/model").json()
        return api_checks.Verdict(1.0, document["no such field"])  # raises KeyError

    checks = dict(api_checks.API_CHECKS)
    checks["api.model_info"] = api_checks.ApiCheck(broken)
    monkeypatch.setattr("grader.stages.api.API_CHECKS", checks)
    source = tmp_path / "submission"
    shutil.copytree(BASE, source)
    report = grade_submission("hw1", source, options=Options(skip_load=True))
    by_id = {c.id: c for c in report.checks}
    broken_result = by_id["api.model_info"]
    assert broken_result.status == "error" and broken_result.points == 0
    assert "KeyError" in broken_result.feedback
    assert (
        "test_check_isolation.py" in broken_result.feedback or "grader/" in broken_result.feedback
    )
    later = [c for c in report.checks if c.stage == "api" and c.id != "api.model_info"]
    assert later and all(c.status == "passed" for c in later), [(c.id, c.status) for c in later]
