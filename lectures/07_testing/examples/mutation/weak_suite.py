"""A test suite for churn_rules.py that runs every line (100% line coverage) and still misses bugs.

mutation_testing.py copies it into a scratch project as tests/test_churn_rules.py and runs mutmut.
"""

import churn_rules
import pytest


def test_default_threshold_when_unset() -> None:
    assert churn_rules.threshold_from_env({}) == 0.5


def test_threshold_read_from_the_environment() -> None:
    assert churn_rules.threshold_from_env({"CHURN_THRESHOLD": "0.7"}) == 0.7


def test_absurd_threshold_is_refused() -> None:
    with pytest.raises(ValueError):
        churn_rules.threshold_from_env({"CHURN_THRESHOLD": "7"})


def test_clear_cases() -> None:
    assert churn_rules.is_churner(0.9, 0.5)
    assert not churn_rules.is_churner(0.1, 0.5)
