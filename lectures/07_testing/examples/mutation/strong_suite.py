"""The weak suite plus the tests a mutation report asks for: boundaries and the names of things.

mutation_testing.py copies it into a scratch project as tests/test_churn_rules.py and runs mutmut.
"""

import churn_rules
import pytest


def test_default_threshold_when_unset_or_blank() -> None:
    assert churn_rules.threshold_from_env({}) == 0.5
    assert churn_rules.threshold_from_env({"CHURN_THRESHOLD": "  "}) == 0.5


def test_threshold_read_from_the_environment() -> None:
    assert churn_rules.threshold_from_env({"CHURN_THRESHOLD": " 0.7 "}) == 0.7


def test_threshold_read_from_another_variable() -> None:
    environ = {"CHURN_THRESHOLD": "0.7", "OTHER": "0.2"}
    assert churn_rules.threshold_from_env(environ, name="OTHER") == 0.2


@pytest.mark.parametrize("raw", ["0", "1", "0.0", "1.0", "-0.5", "7"])
def test_thresholds_outside_the_open_interval_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="CHURN_THRESHOLD must be strictly between 0 and 1"):
        churn_rules.threshold_from_env({"CHURN_THRESHOLD": raw})


def test_thresholds_just_inside_the_interval_are_accepted() -> None:
    assert churn_rules.threshold_from_env({"CHURN_THRESHOLD": "0.001"}) == 0.001
    assert churn_rules.threshold_from_env({"CHURN_THRESHOLD": "0.999"}) == 0.999


def test_clear_cases() -> None:
    assert churn_rules.is_churner(0.9, 0.5)
    assert not churn_rules.is_churner(0.1, 0.5)


def test_probability_equal_to_the_threshold_is_churn() -> None:
    assert churn_rules.is_churner(0.5, 0.5)
    assert not churn_rules.is_churner(0.4999, 0.5)
