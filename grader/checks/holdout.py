"""The hold-out customers and labels (grader data; never visible to a submission)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

INT_FIELDS = {
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "phone_service",
    "paperless_billing",
    "tenure",
}
FLOAT_FIELDS = {"monthly_charges", "total_charges"}


def row_to_customer(row: dict[str, str]) -> dict[str, Any]:
    """A dataset CSV row as a contract Customer (label and row id dropped)."""
    customer: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("row_id", "churn"):
            continue
        if key in INT_FIELDS:
            customer[key] = int(value)
        elif key in FLOAT_FIELDS:
            customer[key] = float(value) if value != "" else None
        else:
            customer[key] = value
    return customer


def load_holdout(suites_root: Path) -> list[dict[str, Any]]:
    """Rows ``{"customer": {...}, "label": 0|1}`` from ``<suites>/common/holdout.csv``."""
    with (suites_root / "common" / "holdout.csv").open(newline="") as handle:
        return [
            {
                "customer": {**row_to_customer(r), "customer_id": f"holdout-{r['row_id']}"},
                "label": int(r["churn"] == "Yes"),
            }
            for r in csv.DictReader(handle)
        ]
