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
    stages = {"install": 5.0, "database_start": 3.0, "tests": 120.0, "load": 60.0, "kube": 7.0}
    row = {
        "points": 100,
        "wall_s": 200.0,
        "stage_seconds": stages,
        "planted_bugs_s": 90.0,
        "capacity_rps": 80.0,
        "calibration_rps": 100.0,
        "rows": None,
        "lost": {},
    }
    split = bench.split(stages, 90.0)
    # database_start is a sub-step of the tests stage: shown, never added twice.
    assert split["overhead_s"] == 132.0
    assert split["suites_s"] == 27.0  # tests - planted bugs - database start
    assert split["container_s"] == 7.0
    assert split["grader_own_s"] == 8.0  # install + database start
    slow = bench.split({**stages, "api": 30.0}, 90.0)
    result = {
        "when": "now",
        "machine": "test",
        "loadavg": [1.0, 1.0, 1.0],
        "load_seconds": 5.0,
        "homework": {
            "hw1": {**row, **split},
            "hw2": {**row, **slow, "capacity_rps": 20.0, "lost": {"load.capacity": 0.67}},
        },
        "hw2_over_hw1": 0.25,
    }
    text = bench.render(result)
    assert "| hw1 | 100 | 200.0 | 60.0 | 132.0 | 90.0 | 27.0 | 7.0 | 8.0 | 15 | yes |" in text
    assert "| hw2 | 100 | 200.0 | 60.0 | 162.0 | 90.0 | 27.0 | 7.0 | 38.0 | 25 | **no** |" in text
    assert "(database_start 3.0)" in text
    assert '- hw2: {"load.capacity": 0.67}' in text
    assert "hw2 / hw1 capacity = **0.25** (target >= 0.4: NOT met)" in text
