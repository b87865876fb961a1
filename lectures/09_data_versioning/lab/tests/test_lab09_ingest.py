"""Lab 9 self-check: the gate accepts clean data, quarantines exactly the planted bad rows, and
rejects a batch whose shape is wrong.

A batch is a CSV of real rows from ``data/train.csv``; the corruptions below are planted in
distinct rows of one copy of it, so a single validation run answers every parametrised test.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lab09_ingest as lab
import pytest

ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT / "data" / "train.csv"
CLEAN_ROWS = 300

Row = dict[str, str]

# name -> (which rows qualify, the change, the column the reason must name)
CORRUPTIONS: dict[str, tuple[Callable[[Row], bool], Row, str]] = {
    "flag out of domain": (lambda r: True, {"female": "2"}, "female"),
    "unknown contract": (lambda r: True, {"contract": "2 year"}, "contract"),
    "negative tenure": (lambda r: r["tenure"] != "0", {"tenure": "-3"}, "tenure"),
    "currency symbol": (lambda r: True, {"monthly_charges": "$70.70"}, "monthly_charges"),
    "lower-cased label": (lambda r: r["churn"] == "Yes", {"churn": "yes"}, "churn"),
    "lost total": (lambda r: r["tenure"] != "0", {"total_charges": ""}, "total_charges"),
    "missing value": (lambda r: True, {"payment_method": ""}, "payment_method"),
    "add-ons without internet": (
        lambda r: r["internet_service"] == "DSL" and r["online_security"] == "Yes",
        {"internet_service": "No"},
        "internet_service",
    ),
}


def _read_rows() -> list[Row]:
    with DATA.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    newcomers = [r for r in rows if r["total_charges"] == ""]
    return rows[:CLEAN_ROWS] + newcomers


def _write(rows: list[Row], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def clean_rows() -> list[Row]:
    return _read_rows()


@pytest.fixture(scope="module")
def clean(clean_rows: list[Row], tmp_path_factory: pytest.TempPathFactory) -> Any:
    raw = lab.read_batch(_write(clean_rows, tmp_path_factory.mktemp("lab09") / "clean.csv"))
    return raw, lab.split_batch(raw)


@pytest.fixture(scope="module")
def planted(clean_rows: list[Row], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The clean rows with each corruption in its own row, plus one duplicated customer."""
    rows = [dict(r) for r in clean_rows]
    where: dict[str, str] = {}
    used: set[int] = set()
    for name, (qualifies, change, _) in CORRUPTIONS.items():
        i = next(i for i, r in enumerate(rows) if i not in used and qualifies(r))
        used.add(i)
        where[name] = rows[i]["row_id"]
        rows[i].update(change)
    duplicate = dict(next(r for i, r in enumerate(rows) if i not in used))
    where["duplicated customer"] = duplicate["row_id"]
    rows.append(duplicate)
    raw = lab.read_batch(_write(rows, tmp_path_factory.mktemp("lab09") / "planted.csv"))
    try:
        return raw, lab.split_batch(raw), where
    except lab.BatchRejected as rejected:
        return raw, rejected, where


def _split(planted: Any) -> Any:
    _, split, _ = planted
    if isinstance(split, lab.BatchRejected):
        pytest.fail(f"a few bad rows rejected the whole batch: {str(split)[:300]}")
    return split


def test_a_clean_batch_is_accepted_whole(clean: Any) -> None:
    raw, split = clean
    assert len(split.quarantined) == 0, split.quarantined.to_string()
    assert len(split.accepted) == len(raw)


def test_new_customers_without_a_bill_are_accepted(clean: Any) -> None:
    _, split = clean
    newcomers = split.accepted[split.accepted["tenure"] == 0]
    assert len(newcomers) > 0 and newcomers["total_charges"].isna().all()


@pytest.mark.parametrize("name", [*CORRUPTIONS, "duplicated customer"])
def test_a_planted_bad_row_is_quarantined_with_its_reason(planted: Any, name: str) -> None:
    split, where = _split(planted), planted[2]
    assert "reasons" in split.quarantined.columns, "quarantined rows need a 'reasons' column"
    held = split.quarantined[split.quarantined["row_id"] == where[name]]
    assert len(held) > 0, f"{name}: row_id {where[name]} was not quarantined"
    column = CORRUPTIONS[name][2] if name in CORRUPTIONS else "row_id"
    reasons = " | ".join(str(reason) for reasons in held["reasons"] for reason in reasons)
    assert column in reasons, f"{name}: the reasons should name {column!r}, got: {reasons}"


def test_only_the_planted_rows_are_quarantined(planted: Any) -> None:
    raw, split, where = planted[0], _split(planted), planted[2]
    expected = set(where.values())
    assert set(split.quarantined["row_id"]) == expected
    # Both copies of the duplicated customer are held back: neither is known to be right.
    assert len(split.quarantined) == len(expected) + 1
    assert len(split.accepted) == len(raw) - len(split.quarantined)


def test_accepted_rows_are_typed(planted: Any) -> None:
    accepted = _split(planted).accepted
    for column in ("row_id", "tenure", "female"):
        assert str(accepted[column].dtype) == "int64", f"{column} is {accepted[column].dtype}"
    for column in ("monthly_charges", "total_charges"):
        assert str(accepted[column].dtype) == "float64", f"{column} is {accepted[column].dtype}"


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda rows: [{k: v for k, v in r.items() if k != "contract"} for r in rows], "contract"),
        (lambda rows: [{**r, "email": "a@example.org"} for r in rows], "email"),
    ],
    ids=["missing column", "unexpected column"],
)
def test_a_batch_with_the_wrong_shape_is_rejected(
    clean_rows: list[Row], tmp_path: Path, change: Callable[[list[Row]], list[Row]], column: str
) -> None:
    raw = lab.read_batch(_write(change(clean_rows), tmp_path / "batch.csv"))
    with pytest.raises(lab.BatchRejected, match=column):
        lab.split_batch(raw)
