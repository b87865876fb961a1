"""The serving-time model.

TODO(hw1, task 2): implement :class:`ChurnModel`.

``training/train.py`` writes ``model/model.json`` with the fitted pipeline's parameters as plain
numbers (open it and read ``export_pipeline`` in the training script):

* ``categorical.index[feature][category]`` — the column of that category's one-hot indicator;
* ``numeric.features`` / ``offset`` / ``impute_value`` / ``mean`` / ``scale`` — the numeric
  columns start at ``offset``; a null value is replaced by ``impute_value``, then standardised as
  ``(value - mean) / scale``;
* ``classifier.coef`` / ``intercept`` — logistic regression over those columns:
  ``p = 1 / (1 + exp(-(intercept + coef · x)))``.

Compute the probability with plain Python (or numpy) from these numbers: no pandas or
scikit-learn at serving time. A one-row DataFrame through the sklearn pipeline takes ~12 ms;
the arithmetic takes microseconds (README.md, "Performance").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ChurnModel:
    """A loaded, ready-to-score churn model."""

    @classmethod
    def load(cls, model_path: Path, metrics_path: Path) -> ChurnModel:
        """Read ``model/model.json`` and ``model/metrics.json`` (written by the training script)."""
        raise NotImplementedError("TODO(hw1, task 2): load the exported model parameters")

    def predict(self, customer: Mapping[str, Any]) -> tuple[bool, float]:
        """Return (churn, churn_probability) for one customer's features."""
        raise NotImplementedError("TODO(hw1, task 2): score one customer")
