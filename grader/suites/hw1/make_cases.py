"""Regenerate ``cases.json``, the hidden request cases of hw1, from the hold-out rows.

Run from the repository root: ``python grader/suites/hw1/make_cases.py``. Deterministic.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from grader.checks.holdout import row_to_customer

HERE = Path(__file__).resolve().parent
HOLDOUT = HERE.parent / "common" / "holdout.csv"


def invalid_cases(base: dict) -> list[dict]:
    """Every class of validation error, each naming the field the 422 must point at."""

    def with_(field: str, value: object) -> dict:
        return {**base, field: value}

    def without(field: str) -> dict:
        return {k: v for k, v in base.items() if k != field}

    cases = [
        ("missing required field", without("tenure"), "tenure"),
        ("missing required field", without("contract"), "contract"),
        ("missing nullable field", without("total_charges"), "total_charges"),
        ("wrong type", with_("tenure", "twelve"), "tenure"),
        ("wrong type", with_("monthly_charges", "a lot"), "monthly_charges"),
        ("wrong type", with_("contract", 2), "contract"),
        ("wrong type", with_("customer_id", 12345), "customer_id"),
        # JSON true is not the integer 1 (pydantic's Literal[0, 1] would accept it).
        ("boolean for a 0/1 flag", with_("female", True), "female"),
        ("fractional integer", with_("tenure", 12.5), "tenure"),
        ("out of range", with_("tenure", -1), "tenure"),
        ("out of range", with_("tenure", 121), "tenure"),
        ("out of range", with_("monthly_charges", -5.0), "monthly_charges"),
        ("out of range", with_("total_charges", -1.0), "total_charges"),
        ("out of range", with_("senior_citizen", 2), "senior_citizen"),
        ("bad enum value", with_("contract", "Weekly"), "contract"),
        ("bad enum value", with_("internet_service", "5G"), "internet_service"),
        ("bad enum value", with_("payment_method", "Cash"), "payment_method"),
        ("null in non-nullable field", with_("tenure", None), "tenure"),
        ("null in non-nullable field", with_("payment_method", None), "payment_method"),
        # customer_id may be absent, but when present it is a string (the spec says so).
        ("null in non-nullable field", with_("customer_id", None), "customer_id"),
        ("unknown field", {**base, "tenur": 5}, "tenur"),
        ("customer_id too long", with_("customer_id", "x" * 65), "customer_id"),
    ]
    out = [
        {"name": f"{name}: {field}", "path": "/predict", "body": body, "field": field}
        for name, body, field in cases
    ]
    batch = [base] * 3 + [with_("tenure", -7)] + [base]
    out.append(
        {
            "name": "invalid customer inside a batch: customers[3].tenure",
            "path": "/predict/batch",
            "body": {"customers": batch},
            "field": "tenure",
            "index": 3,
        }
    )
    out.append(
        {
            "name": "batch body without customers",
            "path": "/predict/batch",
            "body": {"items": [base]},
            "field": "customers",
        }
    )
    out.append(
        {"name": "body is a list, not an object", "path": "/predict", "body": [base], "field": None}
    )
    return out


def hostile_requests(base: dict) -> list[dict]:
    """Requests no service may answer with a 5xx or a dropped connection."""
    # Large payloads are described, not stored: the grader builds them (see grader.checks.payloads).
    return [
        # A body that is not JSON at all may get any 4xx (FastAPI gives 422 json_invalid here).
        {"name": "malformed JSON", "method": "POST", "path": "/predict", "raw": '{"tenure": 5,'},
        {
            "name": "deeply nested JSON",
            "method": "POST",
            "path": "/predict",
            "generate": {"nested_depth": 50000},
        },
        {
            "name": "batch of 1500 customers (above the limit)",
            "method": "POST",
            "path": "/predict/batch",
            "generate": {"batch_copies": 1500},
        },
        {
            "name": "NaN and Infinity tokens",
            "method": "POST",
            "path": "/predict",
            "raw": json.dumps(base).replace(str(base["monthly_charges"]), "NaN", 1),
        },
        {
            "name": "huge number",
            "method": "POST",
            "path": "/predict",
            "raw": json.dumps({**base, "monthly_charges": 1}).replace(
                '"monthly_charges": 1', '"monthly_charges": 1e400'
            ),
        },
        {
            "name": "100 KB string in an enum field",
            "method": "POST",
            "path": "/predict",
            "generate": {"long_field": "contract", "length": 100_000},
        },
        {
            "name": "binary garbage",
            "method": "POST",
            "path": "/predict",
            "raw_hex": "fffe00ff" * 64,
        },
        {"name": "empty body", "method": "POST", "path": "/predict", "raw": ""},
        {"name": "JSON null", "method": "POST", "path": "/predict", "raw": "null"},
        {
            "name": "text/plain content type",
            "method": "POST",
            "path": "/predict",
            "raw": json.dumps(base),
            "content_type": "text/plain",
        },
        {"name": "wrong method", "method": "DELETE", "path": "/predict"},
        {"name": "GET on a POST route", "method": "GET", "path": "/predict/batch"},
        {"name": "unknown route", "method": "GET", "path": "/no/such/route"},
        {
            "name": "unicode in customer_id",
            "method": "POST",
            "path": "/predict",
            "raw": json.dumps({**base, "customer_id": "клиент-✓-\u0000"}),
        },
    ]


def main() -> None:
    """Write cases.json."""
    with HOLDOUT.open() as handle:
        rows = list(csv.DictReader(handle))
    customers = [row_to_customer(r) for r in rows[:25]]
    zero_tenure = next(row_to_customer(r) for r in rows if r["tenure"] == "0")
    base = customers[0]
    valid = [{**c, "customer_id": f"hidden-{i}"} for i, c in enumerate(customers)]
    valid.append({**zero_tenure, "customer_id": "hidden-zero-tenure"})
    valid.append(dict(customers[1].items()))  # no customer_id: must echo null
    valid.append(
        {
            **base,
            "tenure": 120,
            "monthly_charges": 1000.0,
            "total_charges": 120000.0,
            "customer_id": "hidden-max",
        }
    )
    cases = {
        "comment": "Hidden request cases for hw1. Generated by make_cases.py; do not edit by hand.",
        "valid_customers": valid,
        "invalid": invalid_cases(base),
        "hostile": hostile_requests(base),
        "directional": {
            "base": {**base, "contract": "Month-to-month"},
            "field": "contract",
            "from": "Month-to-month",
            "to": "Two year",
        },
    }
    (HERE / "cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
