"""Lab 9 (reference solution): an ingestion gate that quarantines bad rows of a churn export.

A raw export is text. ``SCHEMA`` coerces each column to its type and checks domains, ranges,
uniqueness and cross-column rules. ``split_batch`` then decides per problem:

* a row-level failure (the failure has a row index: a value out of range, a string that is not
  a number, a duplicated id) sends that row to quarantine, with the reasons;
* a batch-level failure (no row index: a missing or unexpected column) rejects the whole file,
  because no single row is to blame.
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


def _one_of(*values: str) -> pa.Column:
    return pa.Column(str, pa.Check.isin(list(values)))


def _flag() -> pa.Column:
    return pa.Column(int, pa.Check.isin([0, 1]))


def _null_total_iff_new_customer(df: pd.DataFrame) -> pd.Series:
    return df["total_charges"].isna() == (df["tenure"] == 0)


def _addons_match_internet(df: pd.DataFrame) -> pd.Series:
    no_internet = df["internet_service"] == "No"
    ok = pd.Series(True, index=df.index)
    for column in ADDONS:
        ok &= no_internet == (df[column] == "No internet service")
    return ok


SCHEMA = pa.DataFrameSchema(
    {
        "row_id": pa.Column(int, pa.Check.ge(1), unique=True, report_duplicates="all"),
        "churn": _one_of("Yes", "No"),
        **{column: _flag() for column in FLAGS[:4]},
        "tenure": pa.Column(int, pa.Check.in_range(0, 120)),
        "phone_service": _flag(),
        "multiple_lines": _one_of("No", "No phone service", "Yes"),
        "internet_service": _one_of("DSL", "Fiber optic", "No"),
        **{column: _one_of("No", "No internet service", "Yes") for column in ADDONS},
        "contract": _one_of("Month-to-month", "One year", "Two year"),
        "paperless_billing": _flag(),
        "payment_method": _one_of(
            "Bank transfer (automatic)",
            "Credit card (automatic)",
            "Electronic check",
            "Mailed check",
        ),
        "monthly_charges": pa.Column(float, pa.Check.in_range(0.01, 500.0)),
        "total_charges": pa.Column(float, pa.Check.in_range(0.0, 60_000.0), nullable=True),
    },
    checks=[
        pa.Check(
            _null_total_iff_new_customer, name="total_charges is null exactly when tenure is 0"
        ),
        pa.Check(
            _addons_match_internet,
            name="internet add-ons say 'No internet service' exactly when internet_service is No",
        ),
    ],
    strict=True,
    ordered=True,
    coerce=True,
)


# Stage 1 checks only the shape and the types: every column present, in order, nothing extra,
# every value convertible. A value that does not convert ("$70.70" in a number column) fails
# here with its row index, before any rule could stumble over a string where a number belongs.
TYPES = pa.DataFrameSchema(
    {name: pa.Column(column.dtype, nullable=True) for name, column in SCHEMA.columns.items()},
    strict=True,
    ordered=True,
    coerce=True,
)


def _reason(failure: pd.Series) -> str:
    """One line per problem: the column and check, or the name of a dataframe-wide check."""
    if failure["schema_context"] == "Column":
        return f"{failure['column']}: {failure['check']} (value {failure['failure_case']!r})"
    if pd.isna(failure["index"]):  # the batch's shape: a missing or an unexpected column
        return f"{failure['check']}: {failure['failure_case']!r}"
    return str(failure["check"])  # a cross-column rule; its name says which columns


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """The failure cases of a lazy validation (empty when the frame is valid)."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        return errors.failure_cases
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def _quarantine(cases: pd.DataFrame, reasons: dict[int, list[str]]) -> None:
    batch_level = cases[cases["index"].isna()]
    if not batch_level.empty:
        problems = sorted({_reason(row) for _, row in batch_level.iterrows()})
        raise BatchRejected("the export is rejected: " + "; ".join(problems))
    for _, failure in cases.iterrows():
        reasons.setdefault(int(failure["index"]), []).append(_reason(failure))


def split_batch(raw: pd.DataFrame) -> Split:
    """Validate ``raw`` in two stages; quarantine failing rows, or raise BatchRejected."""
    reasons: dict[int, list[str]] = {}
    _quarantine(_failures(TYPES, raw), reasons)
    typed = TYPES.validate(raw.drop(index=list(reasons)))
    _quarantine(_failures(SCHEMA, typed), reasons)
    bad = sorted(reasons)
    quarantined = raw.loc[bad].assign(reasons=[sorted(set(reasons[i])) for i in bad])
    return Split(accepted=typed.drop(index=bad, errors="ignore"), quarantined=quarantined)
