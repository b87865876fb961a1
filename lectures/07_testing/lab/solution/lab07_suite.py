"""Lab 7 (reference solution): a behavioural test suite for the churn model.

The lab runs this file with pytest once per model. Two fixtures come from the lab:

* ``model``: an object with ``churn_probability(customer) -> float`` and
  ``predict(customer) -> (bool, float)``; every test that asks for it runs against each model;
* ``customers``: a list of 600 real customers from ``data/train.csv`` as hw1 request bodies
  (dicts with ``customer_id`` and the 19 features). Read-only: build a changed copy with
  ``{**customer, "tenure": 5}`` instead of editing one in place.

Your suite must pass on the released model and on a legitimate retrain, and fail on each broken
model. This is the reference solution: the example test plus the four tests the lab asks for.
"""

from __future__ import annotations

from typing import Any

import pytest

# A customer the business is sure about: six years with us, a two-year contract, paying by card.
LOYAL = {
    "female": 0,
    "senior_citizen": 0,
    "partner": 1,
    "dependents": 1,
    "tenure": 72,
    "phone_service": 1,
    "multiple_lines": "Yes",
    "internet_service": "DSL",
    "online_security": "Yes",
    "online_backup": "Yes",
    "device_protection": "Yes",
    "tech_support": "Yes",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "Two year",
    "paperless_billing": 0,
    "payment_method": "Credit card (automatic)",
    "monthly_charges": 65.0,
    "total_charges": 4680.0,
}


@pytest.fixture
def loyal_customer() -> dict[str, Any]:
    """A fresh copy per test, so one test's edits never leak into the next."""
    return {"customer_id": "C-loyal", **LOYAL}


def test_mft_loyal_customer_gets_a_low_probability(model, loyal_customer) -> None:
    """Minimum functionality: an obvious stayer is scored as one."""
    assert model.churn_probability(loyal_customer) < 0.1


def test_mft_new_customer_with_no_bill_yet_is_scored(model, loyal_customer) -> None:
    """Minimum functionality: ``total_charges`` is null for customers in their first month."""
    newcomer = {**loyal_customer, "tenure": 0, "total_charges": None}
    assert 0.0 <= model.churn_probability(newcomer) <= 1.0


@pytest.mark.parametrize("other_id", ["C-0", "C-999999", "", "customer with spaces"])
def test_inv_customer_id_does_not_matter(model, customers, other_id) -> None:
    """Invariance: the id is a label, not a feature."""
    for customer in customers:
        before = model.churn_probability(customer)
        after = model.churn_probability({**customer, "customer_id": other_id})
        assert after == pytest.approx(before, abs=1e-9), customer["customer_id"]


def test_inv_gender_moves_the_probability_by_less_than_two_points(model, customers) -> None:
    """Invariance with a tolerance: the business accepted at most 2 percentage points."""
    shifts = [
        abs(model.churn_probability({**c, "female": 1 - c["female"]}) - model.churn_probability(c))
        for c in customers
    ]
    assert max(shifts) < 0.02


def test_dir_longer_contract_lowers_churn(model, customers) -> None:
    """Directional expectation: month-to-month -> two year lowers the probability."""
    monthly = [c for c in customers if c["contract"] == "Month-to-month"]
    assert len(monthly) > 100  # the check must not pass vacuously on an empty selection
    raised = [
        c["customer_id"]
        for c in monthly
        if model.churn_probability({**c, "contract": "Two year"}) >= model.churn_probability(c)
    ]
    assert raised == []
