"""Data tests: the training snapshot is what the contract and the model expect.

Every row of ``data/train.csv`` must be a request the service accepts (the contract's Customer
schema), the target is ``Yes``/``No``, row ids are unique, and ``model/metrics.json`` was written
from exactly this file (its hash) with the rates the monitoring compares against.
"""

from __future__ import annotations

import csv
import hashlib
import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "train.csv"
CONTRACT = json.loads((ROOT / "tests" / "public" / "contract.json").read_text())
METRICS = json.loads((ROOT / "model" / "metrics.json").read_text())
CUSTOMER = CONTRACT["$defs"]["Customer"]
INTEGER = {n for n, spec in CUSTOMER["properties"].items() if spec.get("type") == "integer"}
NUMBER = {n for n, spec in CUSTOMER["properties"].items() if "number" in str(spec.get("type"))}


@cache
def rows() -> list[dict[str, str]]:
    with DATA.open(newline="") as handle:
        return list(csv.DictReader(handle))


def as_request(row: dict[str, str]) -> dict[str, object]:
    customer: dict[str, object] = {}
    for name in CUSTOMER["required"]:
        raw = row[name]
        if name in INTEGER:
            customer[name] = int(raw)
        elif name in NUMBER:
            customer[name] = float(raw) if raw else None
        else:
            customer[name] = raw
    return customer


def test_columns_are_the_target_and_the_contract_features() -> None:
    with DATA.open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["row_id", "churn", *CUSTOMER["required"]]


def test_row_ids_are_unique_and_the_target_is_yes_or_no() -> None:
    ids = [row["row_id"] for row in rows()]
    assert len(ids) == len(set(ids)) > 4000
    assert {row["churn"] for row in rows()} == {"Yes", "No"}


def test_every_row_is_a_valid_request() -> None:
    validator = jsonschema.Draft202012Validator(CUSTOMER)
    invalid = [row["row_id"] for row in rows() if not validator.is_valid(as_request(row))]
    assert invalid == []


def test_total_charges_is_missing_only_for_new_customers() -> None:
    missing = [row for row in rows() if row["total_charges"] == ""]
    assert all(row["tenure"] == "0" for row in missing)


def test_metrics_json_describes_this_snapshot() -> None:
    assert METRICS["data_sha256"] == hashlib.sha256(DATA.read_bytes()).hexdigest()
    assert METRICS["n_train"] + METRICS["n_valid"] == len(rows())


def test_label_rate_is_plausible_and_the_flag_rate_is_recorded() -> None:
    label_rate = sum(row["churn"] == "Yes" for row in rows()) / len(rows())
    assert label_rate == pytest.approx(METRICS["train_label_rate"], abs=0.02)
    # The model-level alert compares the flagged share with this rate (monitoring/rules.yml).
    assert 0 < METRICS["train_flag_rate"] < METRICS["train_label_rate"]
