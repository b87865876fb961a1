"""benchmarks/semester.py: the class-of-300 projection follows its stated assumptions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "semester.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("semester_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_projection_for_300(bench) -> None:
    p = bench.projections(per_student_wall=60.0, mean_submission=100.0, jobs=2)
    assert p["one_machine"]["hours"] == pytest.approx(300 * 60 / 3600, abs=0.01)
    # 256 jobs of at most 2 students, 8 at a time: 32 waves of (90 s setup + 2 x 100 s).
    assert p["github_matrix"]["students_per_job"] == 2
    assert p["github_matrix"]["hours"] == pytest.approx(32 * 290 / 3600, abs=0.01)
    # 8 nodes, one pod each: 38 students per node one after another.
    assert p["kubernetes"]["hours"] == pytest.approx(38 * 100 / 3600, abs=0.01)
