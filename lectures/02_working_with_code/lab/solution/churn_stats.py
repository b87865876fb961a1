"""Churn rate by customer group: the notebook's analysis as an importable, tested module.

Usage::

    uv run python churn_stats.py --by contract
    uv run python churn_stats.py --data data/train.csv --by payment_method --json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[4] / "data" / "train.csv"
TARGET = "churn"


class DataError(ValueError):
    """The input cannot be analysed; the message says why in one line."""


@dataclass(frozen=True)
class GroupRate:
    """Customers in one group and the share of them who churned."""

    group: str
    customers: int
    churn_rate: float


def load_customers(path: Path) -> list[dict[str, str]]:
    """Read the customers CSV; a missing file or a file without a churn column is a DataError."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise DataError(f"data file not found: {path}") from None
    if rows and TARGET not in rows[0]:
        raise DataError(f"{path} has no {TARGET!r} column")
    return rows


def churn_rate_by(rows: Iterable[Mapping[str, str]], column: str) -> list[GroupRate]:
    """Churn rate per value of ``column``, highest rate first (ties by group name)."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        if column not in row:
            known = ", ".join(sorted(row))
            raise DataError(f"unknown column {column!r} (known: {known})")
        group = counts.setdefault(row[column], [0, 0])
        group[0] += 1
        group[1] += row[TARGET] == "Yes"
    rates = [GroupRate(name, total, churned / total) for name, (total, churned) in counts.items()]
    return sorted(rates, key=lambda rate: (-rate.churn_rate, rate.group))


def format_table(rates: Sequence[GroupRate]) -> str:
    """An aligned text table: group, customers, churn rate in percent with one decimal."""
    width = max([len("group"), *(len(rate.group) for rate in rates)])
    lines = [f"{'group':<{width}}  {'customers':>9}  {'churn':>6}"]
    lines += [
        f"{rate.group:<{width}}  {rate.customers:>9}  {rate.churn_rate:>6.1%}" for rate in rates
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the churn rate per group; bad input is one line on stderr, exit 2."""
    parser = argparse.ArgumentParser(description="Churn rate by customer group.")
    parser.add_argument("--data", type=Path, default=DATA, help="customers CSV")
    parser.add_argument("--by", default="contract", help="column to group by")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        rates = churn_rate_by(load_customers(args.data), args.by)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(rate) for rate in rates], indent=2))
    else:
        print(format_table(rates))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
