"""Lab 11: the nightly churn scoring step. Make it idempotent and partitioned.

Today ``score_partition`` appends every run to one big ``scores.csv`` with a timestamp per row:
a retried night doubles the rows, a backfill cannot replace one day, and a run that dies half-way
leaves half a day behind. Rewrite it so that

* each day is a partition ``<out_root>/ds=<YYYY-MM-DD>/`` with ``scores.csv`` (one row per
  customer, sorted by ``customer_id``) and a ``_SUCCESS`` marker (JSON: ds, rows, input_sha256,
  model_version);
* re-running a day replaces that partition only, with byte-identical output for the same input;
* a run that fails (or is killed) leaves the previous partition as it was, and never publishes a
  half-written one;
* ``ds`` is validated before it becomes part of a path.

Keep the names ``score_partition``, ``complete_partitions``, ``read_snapshot``, ``load_model``
and ``partition_dir``: the self-check imports them.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import sys
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
    """Where the partition of day ``ds`` lives.

    TODO: reject anything that is not a real date written as YYYY-MM-DD (ValueError naming ds).
    """
    return Path(out_root) / f"ds={ds}"


def score_partition(snapshot: Path, out_root: Path, ds: str, model: Any) -> Path:
    """Score ``snapshot`` for day ``ds``. TODO: partition, idempotency, atomic publication."""
    out = Path(out_root) / "scores.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    new_file = not out.exists()
    with out.open("a", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if new_file:
            writer.writerow(["ds", *COLUMNS, "scored_at"])
        for customer in read_snapshot(Path(snapshot)):
            features = {k: v for k, v in customer.items() if k != "customer_id"}
            churn, probability = model.predict(features)
            writer.writerow(
                [
                    ds,
                    customer["customer_id"],
                    probability,
                    int(churn),
                    model.version,
                    dt.datetime.now(dt.UTC).isoformat(),
                ]
            )
    return out.parent


def complete_partitions(out_root: Path) -> list[str]:
    """The days whose partition is published (has ``_SUCCESS``), in date order. TODO."""
    return []
