"""benchmarks/grading_overhead.py: the record states each target and whether it was met."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "grading_overhead.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("grading_overhead_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_record_names_targets_and_verdicts() -> None:
    bench = load_bench()
    row = {
        "points": 100,
        "wall_s": 200.0,
        "stage_seconds": {"install": 5.0, "tests": 120.0, "load": 60.0},
        "load_window_s": 60.0,
        "overhead_s": 125.0,
        "planted_bugs_s": 90.0,
        "capacity_rps": 80.0,
        "calibration_rps": 100.0,
        "rows": None,
        "grader_stages_s": 5.0,
    }
    result = {
        "when": "now",
        "machine": "test",
        "loadavg": [1.0, 1.0, 1.0],
        "load_seconds": 5.0,
        "homework": {
            "hw1": {**row, "overhead_without_planted_bugs_s": 14.0},
            "hw2": {**row, "overhead_without_planted_bugs_s": 30.0, "capacity_rps": 20.0},
        },
        "hw2_over_hw1": 0.25,
    }
    text = bench.render(result)
    assert "| hw1 | 100 | 200.0 | 60.0 | 125.0 | 90.0 | 14.0 | 15 | yes | 5.0 |" in text
    assert "| hw2 | 100 | 200.0 | 60.0 | 125.0 | 90.0 | 30.0 | 25 | **no** | 5.0 |" in text
    assert "hw2 / hw1 capacity = **0.25** (target >= 0.4: NOT met)" in text
