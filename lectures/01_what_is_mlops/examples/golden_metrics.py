"""Golden dataset + golden metrics: a tiny model-governance gate for the course churn model.

The script trains the course churn model (OneHotEncoder + StandardScaler + LogisticRegression)
reproducibly and compares the run with a "model passport" stored in ``golden_metrics.json``:

* the golden dataset must be byte-for-byte the one the passport was recorded on (SHA-256),
* the golden evaluation split must contain exactly the same customers (hash of row ids),
* two trainings with the same seed must give the same score (reproducibility),
* ROC-AUC and accuracy on the golden split must stay at or above the recorded floors.

Usage::

    uv run python lectures/01_what_is_mlops/examples/golden_metrics.py            # verify
    uv run python lectures/01_what_is_mlops/examples/golden_metrics.py --record   # re-baseline
    uv run python lectures/01_what_is_mlops/examples/golden_metrics.py --data other.csv

Verification exits with status 1 when any check fails, so it can be a CI step.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA = REPO_ROOT / "data" / "train.csv"
DEFAULT_GOLDEN = Path(__file__).resolve().parent / "golden_metrics.json"

TARGET = "churn"
ID_COLUMN = "row_id"
CATEGORICAL = [
    "multiple_lines",
    "internet_service",
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
    "contract",
    "payment_method",
]
NUMERIC = [
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "tenure",
    "phone_service",
    "paperless_billing",
    "monthly_charges",
    "total_charges",
]
SEED = 42
GOLDEN_FRACTION = 0.25
# How far below the recorded value a metric may fall before the gate fails.
TOLERANCE = 0.01
TRACKED_PACKAGES = ("numpy", "pandas", "scikit-learn")


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes (the golden dataset fingerprint)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_ids(ids: list[int]) -> str:
    """Return a SHA-256 over sorted row ids: identifies *which* rows form a split."""
    text = ",".join(str(i) for i in sorted(ids))
    return hashlib.sha256(text.encode()).hexdigest()


def load_dataset(path: Path) -> Any:
    """Read the churn CSV into a DataFrame (zero-tenure customers get total_charges 0)."""
    import pandas as pd

    frame = pd.read_csv(path)
    frame["total_charges"] = frame["total_charges"].fillna(0.0)
    return frame


def split_golden(frame: Any, seed: int = SEED) -> tuple[Any, Any]:
    """Split into (train, golden) parts with a fixed seed, stratified by the target."""
    from sklearn.model_selection import train_test_split

    train, golden = train_test_split(
        frame, test_size=GOLDEN_FRACTION, random_state=seed, stratify=frame[TARGET]
    )
    return train, golden


def build_model() -> Any:
    """Return an unfitted churn pipeline; every random component gets a fixed seed."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", StandardScaler(), NUMERIC),
        ]
    )
    classifier = LogisticRegression(max_iter=1000, random_state=SEED)
    return Pipeline([("features", features), ("classifier", classifier)])


def fit_model(train: Any) -> Any:
    """Fit a fresh pipeline on a training frame."""
    model = build_model()
    model.fit(train[CATEGORICAL + NUMERIC], train[TARGET] == "Yes")
    return model


def evaluate(model: Any, frame: Any) -> dict[str, float]:
    """Compute the golden metrics (ROC-AUC and accuracy at threshold 0.5) on a frame."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    truth = frame[TARGET] == "Yes"
    proba = model.predict_proba(frame[CATEGORICAL + NUMERIC])[:, 1]
    return {
        "roc_auc": float(roc_auc_score(truth, proba)),
        "accuracy": float(accuracy_score(truth, proba >= 0.5)),
    }


def train_and_measure(data_path: Path) -> dict[str, Any]:
    """Run the whole reproducible experiment once and describe it as a passport dict."""
    frame = load_dataset(data_path)
    train, golden = split_golden(frame)
    model = fit_model(train)
    return {
        "data": {
            "path": data_path.name,
            "sha256": sha256_file(data_path),
            "rows": int(len(frame)),
            "positive_rate": round(float((frame[TARGET] == "Yes").mean()), 6),
        },
        "golden_split": {
            "seed": SEED,
            "fraction": GOLDEN_FRACTION,
            "rows": int(len(golden)),
            "row_ids_sha256": sha256_ids([int(i) for i in golden[ID_COLUMN]]),
        },
        "metrics": evaluate(model, golden),
    }


def environment() -> dict[str, str]:
    """Versions that influence the result: recorded for information, compared as warnings."""
    versions = {name: metadata.version(name) for name in TRACKED_PACKAGES}
    versions["python"] = platform.python_version()
    return versions


def record(data_path: Path, golden_path: Path, tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Train, measure and write a new passport with floors ``tolerance`` below each metric."""
    run = train_and_measure(data_path)
    passport = {
        "model": "churn-logreg",
        **run,
        "floors": {name: round(value - tolerance, 4) for name, value in run["metrics"].items()},
        "environment": environment(),
    }
    golden_path.write_text(json.dumps(passport, indent=2) + "\n", encoding="utf-8")
    return passport


@dataclass
class GateReport:
    """Outcome of one governance check run."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed (warnings do not fail the gate)."""
        return all(ok for _, ok, _ in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        """Append one check result."""
        self.checks.append((name, ok, detail))


def verify(data_path: Path, golden_path: Path) -> GateReport:
    """Re-run the experiment and compare it with the recorded passport."""
    passport = json.loads(golden_path.read_text(encoding="utf-8"))
    report = GateReport()
    first = train_and_measure(data_path)
    second = train_and_measure(data_path)

    want, got = passport["data"]["sha256"], first["data"]["sha256"]
    report.add("golden dataset hash", got == want, f"{got[:12]}... vs recorded {want[:12]}...")

    want_ids = passport["golden_split"]["row_ids_sha256"]
    got_ids = first["golden_split"]["row_ids_sha256"]
    report.add("golden split rows", got_ids == want_ids, f"{got_ids[:12]}... vs {want_ids[:12]}...")

    drift = abs(first["metrics"]["roc_auc"] - second["metrics"]["roc_auc"])
    report.add("reproducible training", drift < 1e-12, f"|run1 - run2| = {drift:.2e}")

    for name, floor in passport["floors"].items():
        value = first["metrics"][name]
        recorded = passport["metrics"][name]
        report.add(
            f"{name} >= floor",
            value >= floor,
            f"{value:.4f} (recorded {recorded:.4f}, floor {floor:.4f})",
        )

    for name, recorded_version in passport.get("environment", {}).items():
        current = environment().get(name)
        if current != recorded_version:
            report.warnings.append(f"{name}: recorded {recorded_version}, running {current}")
    return report


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: verify by default, ``--record`` to write a new passport."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset CSV")
    parser.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="passport JSON")
    parser.add_argument("--record", action="store_true", help="write a new passport")
    args = parser.parse_args(argv)

    if args.record:
        passport = record(args.data, args.golden)
        print(f"recorded passport -> {args.golden}")
        print(json.dumps({"metrics": passport["metrics"], "floors": passport["floors"]}, indent=2))
        return

    report = verify(args.data, args.golden)
    for name, ok, detail in report.checks:
        print(f"[{'PASS' if ok else 'FAIL'}] {name:<24} {detail}")
    for warning in report.warnings:
        print(f"[WARN] environment differs: {warning}")
    print("GATE PASSED" if report.passed else "GATE FAILED")
    if not report.passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
