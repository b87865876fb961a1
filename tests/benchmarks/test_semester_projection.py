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


def _homework(students: int, wall: float, mean: float) -> dict:
    similarity = {
        "flagged": [["ana", "ben"]],
        "expected": [["ana", "ben"]],
        "missed": [],
        "false_flags": [],
        "planted_copies_flagged": True,
        "behaviour_pairs": [],
    }
    return {
        "students": students,
        "jobs": 2,
        "wall_s": wall,
        "sum_submission_s": mean * students,
        "mean_submission_s": mean,
        "overlap_factor": round(mean * students / wall, 2),
        "similarity": similarity,
    }


def test_the_term_adds_the_homework_and_renders_a_row_each(bench) -> None:
    summary = {
        "homework": {"hw1": _homework(12, 600.0, 100.0), "hw2": _homework(6, 600.0, 200.0)},
        "not_available": {"hw3": "its bases are not built yet"},
        "load_average": [1.0, 1.0, 1.0],
    }
    p = bench.term_projection(summary, jobs=2)
    one = {hw: h["one_machine"]["hours"] for hw, h in p["homework"].items()}
    assert one == {
        "hw1": pytest.approx(300 * 50 / 3600, abs=0.01),
        "hw2": pytest.approx(300 * 100 / 3600, abs=0.01),
    }
    assert p["term_hours"]["one_machine"] == pytest.approx(one["hw1"] + one["hw2"], abs=0.01)
    text = bench.render(
        {
            "command": "uv run python benchmarks/semester.py --jobs 2",
            "machine": "test",
            "load_before": [0.5, 0.5, 0.5],
            "load": "skipped (--skip-load)",
            "total_s": 1200.0,
            "summary": summary,
            "projection": p,
            "summary_md": "# Rehearsal semester\n",
        }
    )
    assert "| hw1 | 12 / 2 | 600 | 1200 | 100 | 2.00 | 1 / 1 | 0 | 0 | True | none |" in text
    assert "| hw3 | not available: its bases are not built yet |" in text
    assert (
        f"| {p['term_hours']['kubernetes']} |"
        in text.split("Kubernetes Indexed Job")[1].splitlines()[0]
    )
