"""The churn data's expectations as a pandera schema (the tool; churn_validation.py shows the idea).

Column checks cover types, enums, 0/1 flags and ranges; dataframe-wide checks cover what needs
several columns (nulls exactly for new customers, consistency of services, total vs monthly
charges, volume). Every check carries the name of the matching expectation in
``churn_validation.py``, so a failure report reads the same in both.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

BINARY = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
ADDONS = [
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
]
YES_NO_INTERNET = ["No", "No internet service", "Yes"]
MIN_ROWS = 1_000


def _enum(values: list[str]) -> pa.Check:
    return pa.Check.isin(values, name="enums")


def _flag() -> pa.Column:
    return pa.Column(int, pa.Check.isin([0, 1], name="binary_flags"))


def _nulls_only_for_new_customers(df: pd.DataFrame) -> pd.Series:
    others = df.drop(columns=["total_charges"]).isna().any(axis=1)
    return ~others & (df["total_charges"].isna() == (df["tenure"] == 0))


def _services_consistent(df: pd.DataFrame) -> pd.Series:
    ok = (df["phone_service"] == 0) == (df["multiple_lines"] == "No phone service")
    no_internet = df["internet_service"] == "No"
    for col in ADDONS:
        ok &= no_internet == (df[col] == "No internet service")
    return ok


def _total_matches_monthly(df: pd.DataFrame) -> pd.Series:
    ratio = df["total_charges"] / (df["tenure"] * df["monthly_charges"])
    return ~((df["tenure"] > 0) & ratio.notna() & ~ratio.between(0.5, 2.0))


SCHEMA = pa.DataFrameSchema(
    {
        "row_id": pa.Column(int, unique=True, report_duplicates="all"),
        "churn": pa.Column(str, _enum(["Yes", "No"])),
        **{col: _flag() for col in BINARY[:4]},
        "tenure": pa.Column(int, pa.Check.in_range(0, 120, name="ranges")),
        "phone_service": _flag(),
        "multiple_lines": pa.Column(str, _enum(["No", "No phone service", "Yes"])),
        "internet_service": pa.Column(str, _enum(["DSL", "Fiber optic", "No"])),
        **{col: pa.Column(str, _enum(YES_NO_INTERNET)) for col in ADDONS},
        "contract": pa.Column(str, _enum(["Month-to-month", "One year", "Two year"])),
        "paperless_billing": _flag(),
        "payment_method": pa.Column(
            str,
            _enum(
                [
                    "Bank transfer (automatic)",
                    "Credit card (automatic)",
                    "Electronic check",
                    "Mailed check",
                ]
            ),
        ),
        "monthly_charges": pa.Column(float, pa.Check.in_range(0.01, 500.0, name="ranges")),
        "total_charges": pa.Column(
            float, pa.Check.in_range(0.0, 60_000.0, name="ranges"), nullable=True
        ),
    },
    checks=[
        pa.Check(_nulls_only_for_new_customers, name="nulls"),
        pa.Check(_services_consistent, name="consistency"),
        pa.Check(_total_matches_monthly, name="total_vs_monthly"),
        pa.Check(lambda df: len(df) >= MIN_ROWS, name="row_count"),
    ],
    strict=True,
    ordered=True,
    name="churn",
)


def _expectation(column: object, check: str) -> str:
    """Name a pandera failure after the matching expectation of churn_validation.py."""
    if check in {"column_in_dataframe", "column_in_schema", "column_ordered"}:
        return "columns"
    if check.startswith("dtype("):
        return "types"
    if check == "field_uniqueness":
        return "unique_ids"
    if check == "not_nullable":
        return "nulls"
    if check.startswith("in_range("):
        return "ranges"
    if check.startswith("isin("):
        return "binary_flags" if column in BINARY else "enums"
    return check  # the dataframe-wide checks are already named


def failed_expectations(df: pd.DataFrame) -> set[str]:
    """The names of the expectations ``df`` breaks (empty when the schema accepts it)."""
    cases = failures(df)
    return {_expectation(c, str(k)) for c, k in zip(cases["column"], cases["check"], strict=True)}


def failures(df: pd.DataFrame) -> pd.DataFrame:
    """Every failure at once (lazy validation): one row per failing check and value."""
    try:
        SCHEMA.validate(df, lazy=True)
    except SchemaErrors as errors:
        return errors.failure_cases
    return pd.DataFrame(
        columns=["schema_context", "column", "check", "check_number", "failure_case"]
    )
