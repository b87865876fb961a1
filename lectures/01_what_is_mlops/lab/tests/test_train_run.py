"""Self-check for lab 1: the training run is reproducible and leaves a record and a model card."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytest
import train_run

DATA = Path(__file__).resolve().parents[4] / "data" / "train.csv"


@functools.cache
def seven() -> dict:
    """The run record for seed 7, computed once (inside a test, so a TODO shows as a failure)."""
    return train_run.run_record(DATA, seed=7)


def test_same_seed_gives_identical_metrics() -> None:
    first = train_run.train_and_score(DATA, seed=7)
    second = train_run.train_and_score(DATA, seed=7)
    assert first == second, "two runs with one seed differ: some random step ignores the seed"


def test_another_seed_gives_another_split() -> None:
    assert train_run.train_and_score(DATA, seed=8)["metrics"] != seven()["metrics"]


def test_fingerprint_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_bytes(b"row_id,churn\n1,No\n")
    assert train_run.sha256_file(sample) == hashlib.sha256(b"row_id,churn\n1,No\n").hexdigest()


def test_record_names_seed_data_and_sizes() -> None:
    record = seven()
    assert record["seed"] == 7
    assert record["data"] == {
        "path": "train.csv",
        "sha256": hashlib.sha256(DATA.read_bytes()).hexdigest(),
    }
    assert record["rows"]["train"] > 3 * record["rows"]["test"] * 0.95
    assert 0.75 < record["metrics"]["roc_auc"] <= 1.0
    assert 0.6 < record["metrics"]["accuracy"] <= 1.0
    assert {"python", "numpy", "pandas", "scikit-learn"} <= set(record["environment"])
    json.dumps(record)  # the record must be plain JSON


def test_model_card_has_the_sections_and_numbers() -> None:
    record = seven()
    card = train_run.model_card(record)
    for heading in ("## Intended use", "## Data", "## Metrics", "## Reproduce"):
        assert heading in card
    assert record["data"]["sha256"] in card
    assert f"{record['metrics']['roc_auc']:.4f}" in card
    assert f"{record['metrics']['accuracy']:.4f}" in card
    assert "--seed 7" in card


def test_cli_writes_metrics_and_card(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert train_run.main(["--data", str(DATA), "--seed", "7", "--out", str(out)]) == 0
    written = json.loads((out / "metrics.json").read_text())
    assert written["metrics"] == seven()["metrics"]
    assert "## Metrics" in (out / "MODEL_CARD.md").read_text()


def test_cli_reports_a_missing_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = train_run.main(["--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error:") and "nope.csv" in err
    assert len(err.strip().splitlines()) == 1
