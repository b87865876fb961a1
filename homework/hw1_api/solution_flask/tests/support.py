"""Test helpers: the contract, a sample customer, schema checks, typed training rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = json.loads((ROOT / "app" / "contract.json").read_text())

# A real customer from data/train.csv (row 2), with a caller-side id.
CUSTOMER: dict[str, Any] = {
    "customer_id": "5575-GNVDE",
    "female": 0,
    "senior_citizen": 0,
    "partner": 0,
    "dependents": 0,
    "tenure": 34,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "DSL",
    "online_security": "Yes",
    "online_backup": "No",
    "device_protection": "Yes",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "One year",
    "paperless_billing": 0,
    "payment_method": "Mailed check",
    "monthly_charges": 56.95,
    "total_charges": 1889.5,
}


def flat_params(intercept: float, **changes: Any) -> dict[str, Any]:
    """The committed model's parameters with every weight 0: P(churn) = sigmoid(intercept)."""
    params = json.loads((ROOT / "model" / "model.json").read_text())
    for numeric in params["numeric"].values():
        numeric["coef"] = 0.0
    params["categorical"] = {
        name: dict.fromkeys(table, 0.0) for name, table in params["categorical"].items()
    }
    params["intercept"] = intercept
    params.update(changes)
    return params


def schema_validator(name: str) -> Draft202012Validator:
    """A validator for ``$defs[name]`` of the contract (references resolve inside it)."""
    return Draft202012Validator({"$defs": CONTRACT["$defs"], "$ref": f"#/$defs/{name}"})


def assert_conforms(name: str, payload: Any) -> None:
    errors = [e.message for e in schema_validator(name).iter_errors(payload)]
    assert not errors, f"{name} violates the contract: {errors}"


def training_customers(limit: int | None = None) -> list[dict[str, Any]]:
    """Customers from data/train.csv, typed as the contract wants them (row_id as customer_id)."""
    props = CONTRACT["$defs"]["Customer"]["properties"]
    out = []
    with (ROOT / "data" / "train.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            customer: dict[str, Any] = {"customer_id": f"row-{row['row_id']}"}
            for name in CONTRACT["$defs"]["Customer"]["required"]:
                kind = props[name]["type"]
                kind = kind[0] if isinstance(kind, list) else kind
                value = row[name]
                if value == "":
                    customer[name] = None
                elif kind == "integer":
                    customer[name] = int(value)
                elif kind == "number":
                    customer[name] = float(value)
                else:
                    customer[name] = value
            out.append(customer)
            if limit is not None and len(out) >= limit:
                break
    return out
