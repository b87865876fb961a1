"""The churn service's decision rules: how the threshold is configured and what counts as churn.

Small pure functions, kept apart from the web framework and the model so they are easy to test
exhaustively. ``churn_api.py`` uses them, and ``mutation_testing.py`` runs mutmut on this file to
show the difference between tests that *run* the code and tests that *check* it.
"""

from __future__ import annotations

from collections.abc import Mapping

THRESHOLD_ENV = "CHURN_THRESHOLD"
DEFAULT_THRESHOLD = 0.5


def threshold_from_env(environ: Mapping[str, str], name: str = THRESHOLD_ENV) -> float:
    """The decision threshold from the environment: the default when unset or blank, otherwise
    a number strictly between 0 and 1 (0 would flag everyone, 1 nobody)."""
    raw = environ.get(name, "").strip()
    if not raw:
        return DEFAULT_THRESHOLD
    value = float(raw)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return value


def is_churner(probability: float, threshold: float) -> bool:
    """The business rule: a probability equal to the threshold counts as churn."""
    return probability >= threshold
