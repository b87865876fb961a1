"""Smoke test of benchmarks/hw3_instrumentation.py: a very short run produces every figure.

No timing assertions: the figures depend on the machine. The real run is recorded in
benchmarks/results/hw3_instrumentation.*.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "hw3_instrumentation.py"


def test_a_short_run_reports_both_services_and_their_ratio(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "2", "--rounds", "1", "--users", "4"]
        + ["--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "hw3_instrumentation.json").read_text())
    for name in ("hw2", "hw3"):
        service = report["services"][name]
        assert service["median_rps"] > 0 and service["failures"] == 0
        assert len(service["windows"]) == 1
    expected = report["services"]["hw3"]["median_rps"] / report["services"]["hw2"]["median_rps"]
    assert abs(report["ratio"] - expected) < 1e-3
    assert "hw3 / hw2 =" in (tmp_path / "hw3_instrumentation.md").read_text()
    recorded = json.loads(
        (ROOT / "benchmarks" / "results" / "hw3_instrumentation.json").read_text()
    )
    assert recorded["target_ratio"] == 0.9 and recorded["rounds"] >= 3
