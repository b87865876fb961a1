"""Lab 11 (reference solution): the nightly churn scoring step, idempotent and partitioned.

``score_partition`` scores one day's customer snapshot and publishes the result as the partition
``<out_root>/ds=<YYYY-MM-DD>/`` holding ``scores.csv`` and a ``_SUCCESS`` marker. Re-running a
day (a retry, a backfill) replaces that day's partition and nothing else, with byte-identical
output for the same input and model. The partition is built in a hidden staging directory and
swapped in with renames, so a run that dies half-way never leaves a half-written partition:
readers see the old one or the new one. Names starting with ``.`` or ``_`` are hidden, as in
Hive, Spark and most table formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.util
import io
import json
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

HW1 = next(
    parent / "homework" / "hw1_api" / "solution"
    for parent in Path(__file__).resolve().parents
    if (parent / "homework" / "hw1_api" / "solution").is_dir()
)
FLAGS = ("female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing")
COLUMNS = ("customer_id", "churn_probability", "churn", "model_version")
SUCCESS = "_SUCCESS"


def load_model() -> Any:
    """The hw1 reference model: ``predict(features) -> (churn, probability)`` and ``version``."""
    name = "lab11_hw1_model"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HW1 / "app" / "model.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    model_class = sys.modules[name].ChurnModel
    return model_class.load(HW1 / "model" / "model.json", HW1 / "model" / "metrics.json")


def read_snapshot(path: Path) -> list[dict[str, Any]]:
    """A snapshot CSV (the columns of ``data/train.csv``) as hw1 customers with typed features."""
    customers = []
    with Path(path).open(newline="") as handle:
        for row in csv.DictReader(handle):
            customer: dict[str, Any] = {"customer_id": f"C-{row.pop('row_id')}"}
            row.pop("churn", None)
            for key, value in row.items():
                if key in FLAGS or key == "tenure":
                    customer[key] = int(value)
                elif key in ("monthly_charges", "total_charges"):
                    customer[key] = float(value) if value else None
                else:
                    customer[key] = value
            customers.append(customer)
    return customers


def partition_dir(out_root: Path, ds: str) -> Path:
    """Where the partition of day ``ds`` lives; ``ds`` must be a real date as YYYY-MM-DD."""
    try:
        day = dt.date.fromisoformat(ds)
    except (TypeError, ValueError):
        day = None
    if day is None or day.isoformat() != ds:
        raise ValueError(f"ds must be a date as YYYY-MM-DD, got {ds!r}")
    return Path(out_root) / f"ds={ds}"


def _render(customers: list[dict[str, Any]], model: Any) -> str:
    """The scores as CSV text: one row per customer, sorted by id, fixed number format."""
    unique = {c["customer_id"]: c for c in customers}  # a retried export repeats rows
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for customer_id in sorted(unique):
        features = {k: v for k, v in unique[customer_id].items() if k != "customer_id"}
        churn, probability = model.predict(features)
        writer.writerow([customer_id, f"{probability:.6f}", int(churn), model.version])
    return buffer.getvalue()


def score_partition(snapshot: Path, out_root: Path, ds: str, model: Any) -> Path:
    """Score ``snapshot`` and publish it as the partition of day ``ds``; returns its directory."""
    target = partition_dir(out_root, ds)
    data = Path(snapshot).read_bytes()
    text = _render(read_snapshot(Path(snapshot)), model)
    marker = {
        "ds": ds,
        "rows": text.count("\n") - 1,
        "input_sha256": hashlib.sha256(data).hexdigest(),
        "model_version": model.version,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".staging-{target.name}-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        (staging / "scores.csv").write_text(text)
        (staging / SUCCESS).write_text(json.dumps(marker, sort_keys=True) + "\n")
        if target.exists():
            retired = target.parent / f".retired-{target.name}-{uuid.uuid4().hex}"
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired)
        else:
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def complete_partitions(out_root: Path) -> list[str]:
    """The days whose partition is published (has ``_SUCCESS``), in date order."""
    root = Path(out_root)
    if not root.is_dir():
        return []
    return sorted(
        p.name.removeprefix("ds=")
        for p in root.iterdir()
        if p.is_dir() and p.name.startswith("ds=") and (p / SUCCESS).is_file()
    )
