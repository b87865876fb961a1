"""Smoke test of benchmarks/hw1_serving.py: a very short run produces every figure.

No timing assertions: the figures depend on the machine. The real run (three rounds of 10 s
windows) is recorded in benchmarks/results/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "hw1_serving.py"
REFERENCE = ROOT / "homework" / "hw1_api" / "solution"
WINDOW_KEYS = {"requests", "failures", "rps", "p50_ms", "p95_ms", "p99_ms", "seconds", "users"}
WINDOWS = {
    "reference_health",
    "reference_predict",
    "plain_predict",
    "lecture_health",
    "lecture_fast",
    "lecture_predict",
    "reference_batch",
}
ROUNDS = 2


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    if not (REFERENCE / "app").is_dir():
        pytest.skip("the FastAPI reference solution is not there yet")
    out = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "2", "--rounds", str(ROUNDS), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "hw1_serving.json").read_text())
    return report, (out / "hw1_serving.md").read_text()


def test_every_figure_is_there(run: tuple[dict, str]) -> None:
    report, _ = run
    windows = report["windows"]
    assert set(windows) == WINDOWS
    for name, window in windows.items():
        assert set(window) >= WINDOW_KEYS, name
        assert window["requests"] > 0, name
        assert window["failures"] == 0, name
        assert window["rps"] > 0 and window["p99_ms"] is not None, name
        assert window["p50_ms"] <= window["p95_ms"] <= window["p99_ms"], name
        # Every window ran once per round; its RPS is the median of the rounds' RPS.
        assert len(window["rounds"]) == len(window["rps_rounds"]) == ROUNDS, name
        assert window["requests"] == sum(r["requests"] for r in window["rounds"]), name
        assert min(window["rps_rounds"]) <= window["rps"] <= max(window["rps_rounds"]), name
    assert windows["reference_predict"]["users"] == 20
    assert windows["lecture_fast"]["path"] == "/predict/fast"
    assert windows["reference_batch"]["records_per_s"] > 0
    assert report["in_process"]["records_per_s"] > 0
    assert set(report["ratios"]) == {
        "reference_predict_vs_health",
        "lecture_fast_vs_idiomatic",
        "lecture_predict_vs_health",
        "batch_vs_in_process_records",
    }
    assert all(isinstance(v, float) for v in report["ratios"].values())
    assert [t["id"] for t in report["targets"]] == ["reference_vs_plain", "fast_path_vs_health"]
    for target in report["targets"]:
        assert isinstance(target["passed"], bool) and target["measured"] is not None
        assert target["passed"] == (target["measured"] >= target["threshold"])
        assert len(target["per_round"]) == ROUNDS
    assert report["meta"]["seconds"] == 2
    assert report["meta"]["rounds"] == ROUNDS
    assert set(report["meta"]["argv"]) == {"reference", "plain", "lecture"}


def test_markdown_tables_render(run: tuple[dict, str]) -> None:
    report, markdown = run
    lines = markdown.splitlines()
    assert lines[0] == "# hw1 serving benchmark"
    windows = [line for line in lines if line.startswith("| ") and "` (" in line]
    assert len(windows) == len(WINDOWS)
    header = next(line for line in lines if line.startswith("| Window |"))
    assert all(line.count("|") == header.count("|") for line in windows)
    targets = [line for line in lines if line.endswith(("| PASS |", "| FAIL |"))]
    assert len(targets) == len(report["targets"]) == 2
    assert "records/s" in markdown
