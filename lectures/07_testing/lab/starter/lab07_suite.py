"""Lab 7: a behavioural test suite for the churn model.

The lab runs this file with pytest once per model. Two fixtures come from the lab:

* ``model``: an object with ``churn_probability(customer) -> float`` and
  ``predict(customer) -> (bool, float)``; every test that asks for it runs against each model;
* ``customers``: a list of 600 real customers from ``data/train.csv`` as hw1 request bodies
  (dicts with ``customer_id`` and the 19 features). Read-only: build a changed copy with
  ``{**customer, "tenure": 5}`` instead of editing one in place.

Your suite must pass on the released model and on a legitimate retrain, and fail on each broken
model. Write the four tests marked TODO; the first test shows the pattern.
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


# TODO (MFT): a brand-new customer (tenure 0, total_charges None) must be scored, with a
#   probability between 0 and 1, not crash the model.

# TODO (INV): changing only customer_id must not move the probability (tolerance 1e-9),
#   for every customer in ``customers``. Use parametrize over a few replacement ids.

# TODO (INV with a tolerance): flipping ``female`` (0 <-> 1) may move the probability by less
#   than 0.02 for every customer. That tolerance is a fairness decision, not physics.

# TODO (DIR): switching a month-to-month customer to a two-year contract, all else equal, must
#   lower the probability, for every month-to-month customer in ``customers``.
