"""Lab 9: an ingestion gate that quarantines bad rows of a churn export.

Today the gate is all-or-nothing: one bad row rejects the whole monthly export, and most bad
values are not even detected. Make it

* catch bad values: domains, ranges, nulls, duplicated ids, and the two cross-column rules;
* quarantine the rows that fail (with their reasons) and accept the rest, typed;
* still reject the whole export when its shape is wrong (a missing or unexpected column).

See the lab's README for the steps. Keep the names ``read_batch``, ``split_batch``, ``Split``
and ``BatchRejected``: the self-check imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

FLAGS = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
ADDONS = [
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
]


class BatchRejected(ValueError):
    """The whole export is unusable (its shape is wrong); nothing in it may be ingested."""


@dataclass
class Split:
    """The outcome of the gate: rows to ingest, and rows held back with their reasons."""

    accepted: pd.DataFrame  # typed, schema-valid rows
    quarantined: pd.DataFrame  # the raw rows that failed, plus a "reasons" column


def read_batch(path: Path) -> pd.DataFrame:
    """Read an export as text: every value a string, empty cells as missing."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


SCHEMA = pa.DataFrameSchema(
    {
        "row_id": pa.Column(int),
        "churn": pa.Column(str),
        **{column: pa.Column(int) for column in FLAGS[:4]},
        "tenure": pa.Column(int),
        "phone_service": pa.Column(int),
        "multiple_lines": pa.Column(str),
        "internet_service": pa.Column(str),
        **{column: pa.Column(str) for column in ADDONS},
        "contract": pa.Column(str),
        "paperless_billing": pa.Column(int),
        "payment_method": pa.Column(str),
        "monthly_charges": pa.Column(float),
        "total_charges": pa.Column(float, nullable=True),
    },
    # TODO: checks for domains and ranges (pa.Check.isin, pa.Check.in_range), unique row ids,
    #   and two dataframe-wide checks: total_charges is null exactly when tenure is 0; the six
    #   internet add-ons say "No internet service" exactly when internet_service is "No".
    strict=True,
    ordered=True,
    coerce=True,
)


def split_batch(raw: pd.DataFrame) -> Split:
    """Validate ``raw``; today any failure rejects the whole batch.

    TODO: quarantine the failing rows instead (each with a list of reasons naming the column or
    the rule), return the others typed, and raise BatchRejected only for batch-level problems.
    """
    try:
        accepted = SCHEMA.validate(raw, lazy=True)
    except SchemaErrors as errors:
        raise BatchRejected(f"the export is rejected: {errors}") from errors
    return Split(accepted=accepted, quarantined=raw.iloc[0:0].assign(reasons=[]))
