"""Behavioural tests of the model (CheckList style): minimum functionality, invariance and
directional expectations, on the exported model the service serves."""

from __future__ import annotations

import math

import pytest

from app.model import ChurnModel
from tests.conftest import CUSTOMER

MODEL = ChurnModel.load()


def p(**change: object) -> float:
    return MODEL.probability(dict(CUSTOMER, **change))


# --- minimum functionality -------------------------------------------------------------------


def test_a_new_month_to_month_fibre_customer_is_flagged() -> None:
    risky = {
        "internet_service": "Fiber optic",
        "monthly_charges": 95.0,
        "total_charges": 95.0,
        "senior_citizen": 1,
        "partner": 0,
    }
    assert p(**risky) > 0.7
    assert MODEL.predict(dict(CUSTOMER, **risky))["churn"] is True


def test_a_long_standing_two_year_customer_is_not() -> None:
    loyal = p(contract="Two year", tenure=68, total_charges=1980.0, payment_method="Mailed check")
    assert loyal < 0.1


# --- invariance ----------------------------------------------------------------------------


@pytest.mark.parametrize("customer_id", [None, "", "x" * 64, "другой"])
def test_the_customer_id_does_not_matter(customer_id) -> None:
    assert p(customer_id=customer_id) == p()


def test_gender_moves_the_probability_very_little() -> None:
    assert abs(p(female=0) - p(female=1)) < 0.02


# --- directional expectations ----------------------------------------------------------------


def test_a_longer_contract_lowers_the_risk() -> None:
    assert p(contract="Month-to-month") > p(contract="One year") > p(contract="Two year")


def test_tenure_lowers_the_risk() -> None:
    by_tenure = [p(tenure=months) for months in (1, 12, 36, 72)]
    assert by_tenure == sorted(by_tenure, reverse=True)


def test_an_unknown_total_is_filled_not_an_error() -> None:
    assert 0 < p(tenure=0, total_charges=None) < 1


def test_the_sigmoid_is_stable_at_the_extremes() -> None:
    extreme = dict(CUSTOMER, monthly_charges=1000.0, total_charges=1e6, tenure=0)
    assert 0.0 <= MODEL.probability(extreme) <= 1.0
    assert not math.isnan(MODEL.probability(dict(CUSTOMER, total_charges=-1e6)))


def test_predict_many_keeps_the_order() -> None:
    customers = [dict(CUSTOMER, customer_id=str(i), tenure=i) for i in range(5)]
    answers = MODEL.predict_many(customers)
    assert [a["customer_id"] for a in answers] == ["0", "1", "2", "3", "4"]
    assert answers[0]["churn_probability"] == MODEL.probability(customers[0])
