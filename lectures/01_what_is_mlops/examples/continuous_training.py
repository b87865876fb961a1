"""Continuous training (CT) in miniature: the MLOps level-1 loop on the course churn data.

A SIMULATION OF THE CONCEPT, not a stand-in for a tool: five months of a level-1 process are
replayed in a few seconds so that the decisions (validate, train, gate, promote) can be seen in
one run. The months cannot be real, so a plain loop replays five "monthly" batches cut from
``data/train.csv``, and the registry is a directory of versioned pickles with a ``champion``
pointer, the smallest thing that shows what a registry records. The course runs the real tools
later: MLflow tracking and its model registry, promoting behind the same kind of gate, in
lecture 5 (``mlflow_registry.py``), and the pipeline under Dagster and Airflow in lecture 8.
Two batches are broken on purpose:

* batch 3 has its labels shuffled (an upstream join bug); it passes the schema checks, so only
  the model quality gate can notice it;
* batch 4 comes from a changed upstream system (lower-case contract names, prices in cents);
  data validation rejects it before any training happens.

Every candidate is scored on the frozen golden split from ``golden_metrics.py`` and must clear
the recorded ROC-AUC floor and must not be worse than the current champion by more than a margin.

Usage::

    uv run python lectures/01_what_is_mlops/examples/continuous_training.py
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golden_metrics import (
    CATEGORICAL,
    DEFAULT_DATA,
    DEFAULT_GOLDEN,
    ID_COLUMN,
    TARGET,
    evaluate,
    fit_model,
    load_dataset,
    split_golden,
)

N_BATCHES = 5
NOISY_BATCH = 3
BROKEN_BATCH = 4
# A challenger may be at most this much worse than the champion and still replace it.
NON_INFERIORITY_MARGIN = 0.002
POSITIVE_RATE_RANGE = (0.10, 0.45)
RANGES = {"tenure": (0, 120), "monthly_charges": (0.0, 500.0)}


@dataclass
class Decision:
    """What the pipeline did with one incoming batch."""

    batch: int
    rows: int
    action: str  # "promoted", "kept-data", "rejected-data", "rejected-model"
    detail: str
    roc_auc: float | None = None
    version: int | None = None


def make_batches(train: Any, seed: int = 7) -> list[Any]:
    """Cut the training pool into time-ordered batches and break two of them on purpose."""
    import numpy as np

    ordered = train.sort_values(ID_COLUMN)
    chunks = np.array_split(np.arange(len(ordered)), N_BATCHES)
    batches = [ordered.iloc[idx].copy() for idx in chunks]

    rng = np.random.default_rng(seed)
    noisy = batches[NOISY_BATCH - 1]
    noisy[TARGET] = rng.permutation(noisy[TARGET].to_numpy())

    broken = batches[BROKEN_BATCH - 1]
    broken["contract"] = broken["contract"].str.lower()
    broken["monthly_charges"] = broken["monthly_charges"] * 100
    return batches


def reference_vocabulary(frame: Any) -> dict[str, set[str]]:
    """Known values of every categorical column, taken from the golden data."""
    return {column: set(frame[column].unique()) for column in CATEGORICAL}


def validate_batch(batch: Any, vocabulary: dict[str, set[str]]) -> list[str]:
    """Return a list of data problems (empty when the batch looks sane)."""
    problems = []
    missing = sorted(set(vocabulary) - set(batch.columns))
    if missing:
        return [f"missing columns {missing}"]
    labels = set(batch[TARGET].unique())
    if not labels <= {"Yes", "No"}:
        problems.append(f"unexpected labels {sorted(labels - {'Yes', 'No'})}")
    for column, known in vocabulary.items():
        unknown = sorted(set(batch[column].unique()) - known)
        if unknown:
            problems.append(f"{column} has unknown values {unknown[:3]}")
    for column, (low, high) in RANGES.items():
        outside = int(((batch[column] < low) | (batch[column] > high)).sum())
        if outside:
            problems.append(f"{column}: {outside} values outside [{low}, {high}]")
    rate = float((batch[TARGET] == "Yes").mean())
    if not POSITIVE_RATE_RANGE[0] <= rate <= POSITIVE_RATE_RANGE[1]:
        problems.append(f"positive rate {rate:.2f} outside {POSITIVE_RATE_RANGE}")
    return problems


def register(registry: Path, version: int, model: Any, passport: dict[str, Any]) -> Path:
    """Store a model and its passport as ``v<N>/`` and point ``champion.json`` at it."""
    folder = registry / f"v{version}"
    folder.mkdir(parents=True, exist_ok=False)
    # Pickle is fine for our own artefacts; never unpickle files you did not produce.
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    (folder / "passport.json").write_text(json.dumps(passport, indent=2), encoding="utf-8")
    champion = {"version": version, "roc_auc": passport["metrics"]["roc_auc"]}
    (registry / "champion.json").write_text(json.dumps(champion), encoding="utf-8")
    return folder


def run_pipeline(registry: Path, data_path: Path = DEFAULT_DATA) -> list[Decision]:
    """Replay all batches through validate -> train -> evaluate -> gate -> register."""
    import pandas as pd

    floor = json.loads(DEFAULT_GOLDEN.read_text(encoding="utf-8"))["floors"]["roc_auc"]
    frame = load_dataset(data_path)
    train, golden = split_golden(frame)
    vocabulary = reference_vocabulary(golden)

    pool: list[Any] = []
    champion_auc: float | None = None
    version = 0
    decisions = []
    for number, batch in enumerate(make_batches(train), start=1):
        problems = validate_batch(batch, vocabulary)
        if problems:
            decisions.append(Decision(number, len(batch), "rejected-data", "; ".join(problems)))
            continue

        candidate_data = pd.concat([*pool, batch])
        model = fit_model(candidate_data)
        metrics = evaluate(model, golden)
        auc = metrics["roc_auc"]

        if champion_auc is None and auc < floor:
            pool.append(batch)
            detail = f"{auc:.4f} < floor {floor:.4f}: keep collecting data, nothing deployed"
            decisions.append(Decision(number, len(batch), "kept-data", detail, auc))
            continue
        if champion_auc is not None and (
            auc < floor or auc < champion_auc - NON_INFERIORITY_MARGIN
        ):
            detail = (
                f"{auc:.4f} vs champion {champion_auc:.4f} (margin {NON_INFERIORITY_MARGIN}):"
                " batch quarantined for a human to inspect"
            )
            decisions.append(Decision(number, len(batch), "rejected-model", detail, auc))
            continue

        version += 1
        pool.append(batch)
        passport = {
            "version": version,
            "trained_on_rows": int(len(candidate_data)),
            "batches": [d.batch for d in decisions if d.action in {"promoted", "kept-data"}]
            + [number],
            "metrics": metrics,
            "floor": floor,
        }
        register(registry, version, model, passport)
        previous = "none" if champion_auc is None else f"{champion_auc:.4f}"
        champion_auc = auc
        detail = f"{auc:.4f} (previous champion {previous}) on {len(candidate_data)} rows"
        decisions.append(Decision(number, len(batch), "promoted", detail, auc, version))
    return decisions


def main(argv: list[str] | None = None) -> None:
    """Run the replay and print one line per batch plus the final registry content."""
    parser = argparse.ArgumentParser(description="Replay monthly batches through a CT loop.")
    parser.add_argument("--registry", type=Path, help="registry folder (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        registry = args.registry or Path(scratch) / "registry"
        registry.mkdir(parents=True, exist_ok=True)
        for d in run_pipeline(registry):
            tag = f"v{d.version}" if d.version else "-"
            print(f"batch {d.batch} ({d.rows} rows): {d.action:<14} {tag:<3} {d.detail}")
        champion = json.loads((registry / "champion.json").read_text(encoding="utf-8"))
        versions = sorted(p.name for p in registry.iterdir() if p.is_dir())
        print(f"registry versions: {versions}; champion: v{champion['version']}")


if __name__ == "__main__":
    main()
