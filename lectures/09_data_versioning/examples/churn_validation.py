"""A data validation suite for the churn data, written with pandas in the style of
Great Expectations / pandera: a list of named expectations, each reporting how many rows
break it. Plus a drift check (population stability index) for new batches at ingestion.

    uv run python lectures/09_data_versioning/examples/churn_validation.py
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA_PATH = Path(__file__).resolve().parents[3] / "data" / "train.csv"

ID = "row_id"
TARGET = "churn"
BINARY = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
INTEGER = [ID, *BINARY, "tenure"]
FLOAT = ["monthly_charges", "total_charges"]
ADDONS = [
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
]
ENUMS: dict[str, set[str]] = {
    TARGET: {"Yes", "No"},
    "multiple_lines": {"No", "No phone service", "Yes"},
    "internet_service": {"DSL", "Fiber optic", "No"},
    **{col: {"No", "No internet service", "Yes"} for col in ADDONS},
    "contract": {"Month-to-month", "One year", "Two year"},
    "payment_method": {
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    },
}
COLUMNS = [
    ID,
    TARGET,
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "tenure",
    "phone_service",
    "multiple_lines",
    "internet_service",
    *ADDONS,
    "contract",
    "paperless_billing",
    "payment_method",
    "monthly_charges",
    "total_charges",
]
RANGES = {"tenure": (0, 120), "monthly_charges": (0.01, 500.0), "total_charges": (0.0, 60_000.0)}
MIN_ROWS = 1_000


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expectation."""

    name: str
    passed: bool
    failing_rows: int = 0
    detail: str = ""


def _rows(name: str, bad: pd.Series, detail: str = "") -> CheckResult:
    """Build a result from a boolean mask of offending rows."""
    count = int(bad.sum())
    return CheckResult(name, count == 0, count, detail if count else "")


def _missing(df: pd.DataFrame, name: str, columns: set[str]) -> CheckResult | None:
    """A failed result when a cross-field check cannot run because columns are absent."""
    absent = sorted(columns - set(df.columns))
    return CheckResult(name, False, 0, f"cannot run, missing {absent}") if absent else None


def _numeric(df: pd.DataFrame, col: str) -> pd.Series:
    """The column as numbers; unparsable values become NaN (they are caught by the type check)."""
    return pd.to_numeric(df[col], errors="coerce")


def check_columns(df: pd.DataFrame) -> CheckResult:
    """Exactly the expected columns, in the expected order."""
    if list(df.columns) == COLUMNS:
        return CheckResult("columns", True)
    missing = [c for c in COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in COLUMNS]
    return CheckResult("columns", False, 0, f"missing={missing} extra={extra}")


def check_types(df: pd.DataFrame) -> CheckResult:
    """Integer, float and string columns hold values of those types."""
    wrong = []
    for col in INTEGER:
        if col in df and not pd.api.types.is_integer_dtype(df[col]):
            wrong.append(f"{col}:{df[col].dtype}")
    for col in FLOAT:
        if col in df and not pd.api.types.is_float_dtype(df[col]):
            wrong.append(f"{col}:{df[col].dtype}")
    for col in ENUMS:
        if col in df and not pd.api.types.is_string_dtype(df[col]):
            wrong.append(f"{col}:{df[col].dtype}")
    return CheckResult("types", not wrong, 0, ", ".join(wrong))


def check_enums(df: pd.DataFrame) -> CheckResult:
    """Categorical columns only take their documented values."""
    bad = pd.Series(False, index=df.index)
    seen: list[str] = []
    for col, allowed in ENUMS.items():
        if col in df:
            mask = df[col].notna() & ~df[col].isin(allowed)
            if mask.any():
                seen.append(f"{col}={sorted(df.loc[mask, col].astype(str).unique())[:3]}")
            bad |= mask
    return _rows("enums", bad, "; ".join(seen))


def check_binary(df: pd.DataFrame) -> CheckResult:
    """0/1 flags are 0 or 1."""
    bad = pd.Series(False, index=df.index)
    for col in BINARY:
        if col in df:
            bad |= ~_numeric(df, col).isin([0, 1])
    return _rows("binary_flags", bad)


def check_ranges(df: pd.DataFrame) -> CheckResult:
    """Numbers within plausible bounds (nulls are judged by the null check)."""
    bad = pd.Series(False, index=df.index)
    for col, (low, high) in RANGES.items():
        if col in df:
            values = _numeric(df, col)
            bad |= values.notna() & ~values.between(low, high)
    return _rows("ranges", bad)


def check_nulls(df: pd.DataFrame) -> CheckResult:
    """Nulls only in total_charges, and there exactly for customers with tenure == 0."""
    if absent := _missing(df, "nulls", {"total_charges", "tenure"}):
        return absent
    others = df.drop(columns=["total_charges"]).isna().any(axis=1)
    new_customer = _numeric(df, "tenure") == 0
    bad = others | (df["total_charges"].isna() != new_customer)
    return _rows("nulls", bad, "nulls outside total_charges or not matching tenure == 0")


def check_unique_ids(df: pd.DataFrame) -> CheckResult:
    """One row per customer."""
    if ID not in df:
        return CheckResult("unique_ids", False, 0, "no id column")
    return _rows("unique_ids", df[ID].duplicated(keep=False))


def check_consistency(df: pd.DataFrame) -> CheckResult:
    """Cross-field rules: no phone -> 'No phone service'; no internet -> add-ons say so."""
    needed = {"phone_service", "multiple_lines", "internet_service", *ADDONS}
    if absent := _missing(df, "consistency", needed):
        return absent
    no_phone = _numeric(df, "phone_service") == 0
    bad = no_phone != (df["multiple_lines"] == "No phone service")
    no_internet = df["internet_service"] == "No"
    for col in ADDONS:
        bad |= no_internet != (df[col] == "No internet service")
    return _rows("consistency", bad)


def check_total_vs_monthly(df: pd.DataFrame) -> CheckResult:
    """Billing sanity: total_charges ~ tenure * monthly_charges within a factor of two."""
    needed = {"tenure", "monthly_charges", "total_charges"}
    if absent := _missing(df, "total_vs_monthly", needed):
        return absent
    tenure = _numeric(df, "tenure")
    expected = tenure * _numeric(df, "monthly_charges")
    ratio = _numeric(df, "total_charges") / expected
    bad = (tenure > 0) & ratio.notna() & ~ratio.between(0.5, 2.0)
    return _rows("total_vs_monthly", bad)


def check_row_count(df: pd.DataFrame) -> CheckResult:
    """Volume: a suspiciously small file usually means a broken export."""
    return CheckResult("row_count", len(df) >= MIN_ROWS, 0, f"{len(df)} rows < {MIN_ROWS}")


CHECKS: list[Callable[[pd.DataFrame], CheckResult]] = [
    check_columns,
    check_types,
    check_enums,
    check_binary,
    check_ranges,
    check_nulls,
    check_unique_ids,
    check_consistency,
    check_total_vs_monthly,
    check_row_count,
]


def validate(df: pd.DataFrame) -> list[CheckResult]:
    """Run every expectation; never raises, so the report shows all problems at once."""
    return [check(df) for check in CHECKS]


def failed(results: list[CheckResult]) -> set[str]:
    """Names of the expectations that failed."""
    return {r.name for r in results if not r.passed}


# ----------------------------------------------------------------------------- drift
def psi(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``.

    Numeric columns are binned at the reference deciles, categorical ones by value.
    Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift.
    """
    reference, current = reference.dropna(), current.dropna()
    if pd.api.types.is_numeric_dtype(reference):
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        ref_share = pd.cut(reference, edges).value_counts(normalize=True, sort=False)
        cur_share = pd.cut(current, edges).value_counts(normalize=True, sort=False)
    else:
        ref_share = reference.value_counts(normalize=True)
        cur_share = current.value_counts(normalize=True).reindex(ref_share.index, fill_value=0)
    ref_arr = np.clip(ref_share.to_numpy(dtype=float), 1e-4, None)
    cur_arr = np.clip(cur_share.to_numpy(dtype=float), 1e-4, None)
    return float(np.sum((cur_arr - ref_arr) * np.log(cur_arr / ref_arr)))


def drift_report(
    reference: pd.DataFrame, batch: pd.DataFrame, columns: list[str] | None = None
) -> dict[str, float]:
    """PSI per column (rounded), for the features that matter most for churn."""
    columns = columns or ["tenure", "monthly_charges", "contract", "internet_service"]
    return {col: round(psi(reference[col], batch[col]), 4) for col in columns}


def ingest(reference: pd.DataFrame, batch: pd.DataFrame, max_psi: float = 0.25) -> str:
    """Gate for a new batch: 'reject' on failed expectations, 'review' on drift, else 'accept'."""
    if failed(validate(batch)):
        return "reject"
    if max(drift_report(reference, batch).values()) > max_psi:
        return "review"
    return "accept"


def main() -> None:
    """Validate the real data, then show which expectation catches each injected corruption."""
    df = pd.read_csv(DATA_PATH)
    results = validate(df)
    print(f"data/train.csv: {len(df)} rows, {len(results)} expectations")
    for result in results:
        print(f"  {'PASS' if result.passed else 'FAIL'}  {result.name}")

    rng = np.random.default_rng(0)
    rows = rng.choice(len(df), size=5, replace=False)
    corruptions: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "churn lower-cased": lambda d: d.assign(churn=d["churn"].str.lower()),
        "negative tenure": lambda d: d.assign(tenure=d["tenure"].mask(d.index.isin(rows), -1)),
        "total_charges lost": lambda d: d.assign(
            total_charges=d["total_charges"].mask(d.index.isin(rows))
        ),
        "duplicated customer": lambda d: pd.concat([d, d.iloc[[7]]], ignore_index=True),
        "charges exported as text": lambda d: d.assign(
            monthly_charges="$" + d["monthly_charges"].astype(str)
        ),
        "column dropped": lambda d: d.drop(columns=["contract"]),
        "phone flag contradicts lines": lambda d: d.assign(
            phone_service=d["phone_service"].mask(d["multiple_lines"] == "Yes", 0)
        ),
    }
    print("injected corruptions -> failed expectations")
    for label, corrupt in corruptions.items():
        print(f"  {label:<30} -> {sorted(failed(validate(corrupt(df.copy()))))}")

    stable = df.sample(1500, random_state=1)
    shifted = df.sample(1500, random_state=2)
    shifted = shifted.assign(monthly_charges=shifted["monthly_charges"] * 1.25)
    print("drift (PSI) of a random batch :", drift_report(df, stable))
    print("drift (PSI) of a +25% price batch:", drift_report(df, shifted))
    print("ingestion decisions:", {"random": ingest(df, stable), "priced up": ingest(df, shifted)})


if __name__ == "__main__":
    main()
