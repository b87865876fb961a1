"""The exported logistic regression as a weight table: one number per category, a slope per number.

``training/train.py`` writes ``model/model.json`` (format ``churn-logreg-json/1``): the one-hot
column of every category, the imputer fill, scaler mean and scale of every number, the
coefficients and the intercept. Standardising is linear, so it folds into the slopes and the
bias once, at load time; a prediction is then a sum and a logistic function.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
ARTEFACT = HERE / "model" / "model.json"
GOLDEN = HERE / "model" / "metrics.json"


def logistic(z: float) -> float:
    """1 / (1 + e^-z); e^-z would overflow below z = -709, and 1 / (1 + e^700) is 0 already."""
    return 1.0 / (1.0 + math.exp(-max(z, -700.0)))


@dataclass
class WeightTable:
    """Bias, per-category weights and per-number slopes (with the value used for a null)."""

    name: str
    version: str
    cutoff: float
    bias: float
    per_category: dict[str, dict[str, float]]
    slopes: list[tuple[str, float, float]]
    golden: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_artefact(cls, artefact: dict[str, Any], golden: dict[str, Any]) -> WeightTable:
        """Fold the scaler into the coefficients."""
        coef = artefact["classifier"]["coef"]
        bias = float(artefact["classifier"]["intercept"])
        per_category = {
            feature: {value: float(coef[column]) for value, column in columns.items()}
            for feature, columns in artefact["categorical"]["index"].items()
        }
        numeric = artefact["numeric"]
        slopes = []
        for position, feature in enumerate(numeric["features"]):
            slope = float(coef[numeric["offset"] + position]) / float(numeric["scale"][position])
            bias -= slope * float(numeric["mean"][position])
            slopes.append((feature, slope, float(numeric["impute_value"][position])))
        return cls(
            artefact["name"],
            artefact["version"],
            float(artefact["threshold"]),
            bias,
            per_category,
            slopes,
            golden,
        )

    @classmethod
    def read(cls, artefact: Path = ARTEFACT, golden: Path = GOLDEN) -> WeightTable:
        """Load the committed artefact and its training metrics."""
        metrics = json.loads(golden.read_text()) if golden.exists() else {}
        return cls.from_artefact(json.loads(artefact.read_text()), metrics)

    def risk(self, record: Any) -> float:
        """Churn probability of one validated record (attribute access, e.g. a Customer)."""
        z = self.bias
        for feature, slope, fill in self.slopes:
            value = getattr(record, feature)
            z += slope * (fill if value is None else value)
        for feature, weights in self.per_category.items():
            z += weights[getattr(record, feature)]
        return logistic(z)

    def flags(self, probability: float) -> bool:
        """The churn decision: at or above the cutoff."""
        return probability >= self.cutoff
