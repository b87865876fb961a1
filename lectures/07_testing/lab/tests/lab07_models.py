"""pytest plugin for lab 7: the models a behavioural suite is run against, and the customers.

The student's suite asks for two fixtures, ``model`` and ``customers``; this plugin provides
them. ``model`` is parametrised over the released hw1 reference model, a legitimate retrain, and
five broken variants ("mutants"), each with one planted bug that aggregate metrics barely see.
A good suite passes on the first two and fails on every mutant.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import sys
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[4]
HW1 = ROOT / "homework" / "hw1_api" / "solution"
DATA = ROOT / "data" / "train.csv"
SAMPLE_SIZE = 600

FLAGS = ("female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing")

# Models a correct suite must accept, and mutants it must reject.
HEALTHY = ("released", "retrained")
MUTANTS = ("id_leak", "gender_bias", "contract_reversed", "null_crash", "tenure_flipped")


def _hw1_model_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lab07_hw1_model", HW1 / "app" / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


class LabModel:
    """A churn model with the hw1 interface: ``churn_probability`` and ``predict``."""

    def __init__(self, name: str, score: Callable[[Mapping[str, Any]], float], threshold: float):
        self.name = name
        self._score = score
        self.threshold = threshold

    def churn_probability(self, customer: Mapping[str, Any]) -> float:
        """P(churn) for one customer (a dict of the hw1 request fields)."""
        return self._score(customer)

    def predict(self, customer: Mapping[str, Any]) -> tuple[bool, float]:
        """(churn class, probability); a probability equal to the threshold counts as churn."""
        p = self.churn_probability(customer)
        return p >= self.threshold, p

    def __repr__(self) -> str:
        return f"LabModel({self.name!r})"


def build_models() -> dict[str, LabModel]:
    """The released model, a legitimate retrain and the five mutants, by name."""
    hw1 = _hw1_model_module()
    base = hw1.ChurnModel.load(HW1 / "model" / "model.json", HW1 / "model" / "metrics.json")
    threshold = base.threshold
    contract = base.category_weights["contract"]

    def released(c: Mapping[str, Any]) -> float:
        return base.churn_probability(c)

    def retrained(c: Mapping[str, Any]) -> float:
        # Same ranking, slightly different calibration: what a retrain on fresh data looks like.
        return _sigmoid(1.05 * _logit(released(c)) + 0.04)

    def id_leak(c: Mapping[str, Any]) -> float:
        # The customer id slipped into the features: a per-customer offset.
        offset = (zlib.crc32(str(c.get("customer_id")).encode()) % 1000) / 1000 - 0.5
        return _sigmoid(_logit(released(c)) + 0.8 * offset)

    def gender_bias(c: Mapping[str, Any]) -> float:
        return _sigmoid(_logit(released(c)) + (0.4 if c["female"] == 1 else 0.0))

    def contract_reversed(c: Mapping[str, Any]) -> float:
        # The contract categories were mapped in reverse order by a broken export.
        swap = {"Month-to-month": "Two year", "Two year": "Month-to-month"}
        original = contract[c["contract"]]
        swapped = contract[swap.get(c["contract"], c["contract"])]
        return _sigmoid(_logit(released(c)) - original + swapped)

    def null_crash(c: Mapping[str, Any]) -> float:
        # The imputer was dropped from the pipeline: a new customer's null breaks scoring.
        float(c["total_charges"])
        return released(c)

    def tenure_flipped(c: Mapping[str, Any]) -> float:
        weight = next(w for name, w, _ in base.numeric_weights if name == "tenure")
        return _sigmoid(_logit(released(c)) - 2 * weight * c["tenure"])

    scores = {
        "released": released,
        "retrained": retrained,
        "id_leak": id_leak,
        "gender_bias": gender_bias,
        "contract_reversed": contract_reversed,
        "null_crash": null_crash,
        "tenure_flipped": tenure_flipped,
    }
    return {name: LabModel(name, score, threshold) for name, score in scores.items()}


def load_customers(limit: int = SAMPLE_SIZE) -> list[dict[str, Any]]:
    """The first ``limit`` customers of ``data/train.csv`` as hw1 request bodies."""
    customers = []
    with DATA.open(newline="") as handle:
        for row in csv.DictReader(handle):
            customer: dict[str, Any] = {"customer_id": f"C-{row.pop('row_id')}"}
            row.pop("churn")
            for key, value in row.items():
                if key in FLAGS or key == "tenure":
                    customer[key] = int(value)
                elif key in ("monthly_charges", "total_charges"):
                    customer[key] = float(value) if value else None
                else:
                    customer[key] = value
            customers.append(customer)
            if len(customers) == limit:
                break
    return customers


_MODELS = build_models()


@pytest.fixture(scope="session", params=HEALTHY + MUTANTS)
def model(request: pytest.FixtureRequest) -> LabModel:
    """Each model in turn: tests using it run once per model, with the model's name as the id."""
    return _MODELS[request.param]


@pytest.fixture(scope="session")
def customers() -> list[dict[str, Any]]:
    """Real customers from the course data (read-only: copy one before changing it)."""
    return load_customers()
