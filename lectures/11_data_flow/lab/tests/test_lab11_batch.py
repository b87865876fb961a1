"""Lab 11 self-check: the scoring step writes one partition per day, re-runs are idempotent,
and failed or killed runs never publish half a partition.

Snapshots are real customers from ``data/train.csv``; the model is the hw1 reference. A killed
run is a real ``os._exit`` in a forked child, so no ``finally`` or ``except`` gets to clean up.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import lab11_batch as lab
import pytest

ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT / "data" / "train.csv"
DAY1, DAY2 = "2026-03-01", "2026-03-02"


def _visible(root: Path) -> dict[str, bytes]:
    """Every file a reader can see: relative path -> content (hidden names start with . or _,
    except the _SUCCESS marker inside a partition)."""
    files = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        hidden = any(p.startswith((".", "_")) for p in parts[:-1]) or parts[0].startswith(
            (".", "_")
        )
        if path.is_file() and not hidden:
            files["/".join(parts)] = path.read_bytes()
    return files


def _snapshot(path: Path, start: int, count: int, duplicate: int = 0) -> Path:
    with DATA.open(newline="") as handle:
        rows = [row for i, row in enumerate(csv.DictReader(handle)) if start <= i < start + count]
    rows += rows[:duplicate]  # a retried export repeats some lines
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


class CrashingModel:
    """The real model, until the ``after``-th prediction: then it raises, or kills the process."""

    def __init__(self, model: Any, after: int, hard: bool = False) -> None:
        self.model, self.after, self.hard, self.calls = model, after, hard, 0
        self.version = model.version

    def predict(self, features: Any) -> tuple[bool, float]:
        self.calls += 1
        if self.calls >= self.after:
            if self.hard:
                os._exit(3)
            raise RuntimeError("the scoring node went away")
        return self.model.predict(features)


def _run_in_killed_child(*args: Any) -> int:
    """Run score_partition in a forked child that dies mid-run; return its exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            lab.score_partition(*args)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture(scope="module")
def model() -> Any:
    return lab.load_model()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three snapshots (read-only): day 1 with 7 repeated lines, day 2, and a corrected day 1."""
    tmp = tmp_path_factory.mktemp("lab11")
    return {
        DAY1: _snapshot(tmp / "day1.csv", 0, 120, duplicate=7),
        DAY2: _snapshot(tmp / "day2.csv", 100, 120),
        "changed": _snapshot(tmp / "day1-changed.csv", 300, 120),
    }


def test_each_day_is_a_partition_with_a_marker(
    model: Any, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    for ds in (DAY2, DAY1):
        lab.score_partition(inputs[ds], out, ds, model)
    assert set(_visible(out)) == {
        f"ds={ds}/{name}" for ds in (DAY1, DAY2) for name in ("scores.csv", "_SUCCESS")
    }
    assert lab.complete_partitions(out) == [DAY1, DAY2]


def test_scores_match_the_model_one_row_per_customer(
    model: Any, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    lab.score_partition(inputs[DAY1], out, DAY1, model)
    with (out / f"ds={DAY1}" / "scores.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    customers = {c["customer_id"]: c for c in lab.read_snapshot(inputs[DAY1])}
    assert [r["customer_id"] for r in rows] == sorted(customers), "one row per customer, sorted"
    for row in rows:
        features = {k: v for k, v in customers[row["customer_id"]].items() if k != "customer_id"}
        churn, probability = model.predict(features)
        assert float(row["churn_probability"]) == pytest.approx(probability, abs=1e-6)
        assert row["churn"] == str(int(churn))
        assert row["model_version"] == model.version


def test_the_marker_describes_the_run(model: Any, inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "scores"
    lab.score_partition(inputs[DAY1], out, DAY1, model)
    marker = json.loads((out / f"ds={DAY1}" / "_SUCCESS").read_text())
    assert marker["ds"] == DAY1
    assert marker["rows"] == 120  # 127 input lines, 7 of them repeats
    assert marker["input_sha256"] == hashlib.sha256(inputs[DAY1].read_bytes()).hexdigest()
    assert marker["model_version"] == model.version


def test_a_rerun_is_byte_identical_and_touches_only_its_day(
    model: Any, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    lab.score_partition(inputs[DAY1], out, DAY1, model)
    lab.score_partition(inputs[DAY2], out, DAY2, model)
    first = _visible(out)
    lab.score_partition(inputs[DAY1], out, DAY1, model)  # the retry of a night that succeeded
    assert _visible(out) == first
    lab.score_partition(inputs["changed"], out, DAY1, model)  # a backfill with corrected data
    after = _visible(out)
    assert after[f"ds={DAY1}/scores.csv"] != first[f"ds={DAY1}/scores.csv"]
    assert {k: v for k, v in after.items() if DAY2 in k} == {
        k: v for k, v in first.items() if DAY2 in k
    }


def test_a_failed_rerun_keeps_the_previous_partition(
    model: Any, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    lab.score_partition(inputs[DAY1], out, DAY1, model)
    before = _visible(out)
    with pytest.raises(RuntimeError, match="went away"):
        lab.score_partition(inputs["changed"], out, DAY1, CrashingModel(model, after=60))
    assert _visible(out) == before
    assert lab.complete_partitions(out) == [DAY1]


def test_a_killed_run_publishes_nothing(
    model: Any, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    lab.score_partition(inputs[DAY1], out, DAY1, model)
    before = _visible(out)
    crash = CrashingModel(model, after=60, hard=True)
    assert _run_in_killed_child(inputs["changed"], out, DAY1, crash) == 3
    assert _run_in_killed_child(inputs[DAY2], out, DAY2, crash) == 3
    assert _visible(out) == before, "a killed run left visible files behind"
    assert lab.complete_partitions(out) == [DAY1]


@pytest.mark.parametrize("ds", ["2026-13-01", "2026-3-1", "../../etc", "", "2026-03-01/x"])
def test_a_bad_ds_is_rejected_before_any_write(
    model: Any, inputs: dict[str, Path], tmp_path: Path, ds: str
) -> None:
    out = tmp_path / "scores"
    with pytest.raises(ValueError, match="ds"):
        lab.score_partition(inputs[DAY1], out, ds, model)
    assert not out.exists() or _visible(out) == {}
