"""The serving-time model: logistic regression from exported parameters, no pandas or sklearn.

``training/train.py`` fits OneHotEncoder + SimpleImputer + StandardScaler + LogisticRegression and
exports their parameters to ``model/model.json``. Scoring one customer is then

    z = intercept + sum(coef[j] * x[j])      p = 1 / (1 + exp(-z))

where ``x`` is the one-hot columns followed by the standardised numeric columns. At load time the
parameters are folded into lookup tables so that a prediction is a handful of dict look-ups,
multiplications and one ``exp``: a few microseconds, against ~12 ms for a one-row DataFrame
through the fitted scikit-learn pipeline.

* one-hot: ``coef[index[feature][category]]`` is added for the customer's category;
* numeric: ``coef[j] * (value - mean[j]) / scale[j]`` = ``value * (coef[j] / scale[j])`` plus a
  constant ``-coef[j] * mean[j] / scale[j]`` that moves into the intercept; a missing value is
  replaced by the imputation value first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SUPPORTED_FORMAT = "churn-logreg-json/1"


class ModelLoadError(RuntimeError):
    """The model artefact is missing or inconsistent."""


def _sigmoid(z: float) -> float:
    """Numerically stable logistic function."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class ChurnModel:
    """A loaded, ready-to-score churn model."""

    name: str
    version: str
    threshold: float
    features: tuple[str, ...]
    metrics: Mapping[str, Any]
    bias: float
    category_weights: Mapping[str, Mapping[str, float]]
    numeric_weights: tuple[tuple[str, float, float], ...]  # (feature, weight, impute value)

    @classmethod
    def from_artefact(cls, artefact: Mapping[str, Any], metrics: Mapping[str, Any]) -> ChurnModel:
        """Build the model from the parsed ``model.json`` and ``metrics.json``."""
        if artefact.get("format") != SUPPORTED_FORMAT:
            raise ModelLoadError(
                f"unsupported model format {artefact.get('format')!r}, expected {SUPPORTED_FORMAT!r}"
            )
        try:
            coef = np.asarray(artefact["classifier"]["coef"], dtype=np.float64)
            intercept = float(artefact["classifier"]["intercept"])
            index: dict[str, dict[str, int]] = artefact["categorical"]["index"]
            numeric = artefact["numeric"]
            names = list(numeric["features"])
            offset = int(numeric["offset"])
            mean = np.asarray(numeric["mean"], dtype=np.float64)
            scale = np.asarray(numeric["scale"], dtype=np.float64)
            impute = np.asarray(numeric["impute_value"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"malformed model artefact: {exc!r}") from exc

        n_columns = offset + len(names)
        used = sorted(i for categories in index.values() for i in categories.values())
        if coef.shape != (n_columns,) or used != list(range(offset)):
            raise ModelLoadError(
                f"model artefact is inconsistent: {coef.size} coefficients for "
                f"{offset} one-hot and {len(names)} numeric columns"
            )
        if not (mean.size == scale.size == impute.size == len(names)) or np.any(scale == 0):
            raise ModelLoadError("model artefact has malformed scaler/imputer parameters")
        if not np.all(np.isfinite(coef)) or not math.isfinite(intercept):
            raise ModelLoadError("model artefact has non-finite coefficients")

        numeric_coef = coef[offset:]
        weights = numeric_coef / scale
        bias = intercept - float(np.dot(numeric_coef, mean / scale))
        return cls(
            name=str(artefact["name"]),
            version=str(artefact["version"]),
            threshold=float(artefact.get("threshold", 0.5)),
            features=tuple(artefact.get("features", [*index, *names])),
            metrics=dict(metrics),
            bias=bias,
            category_weights={
                feature: {category: float(coef[i]) for category, i in categories.items()}
                for feature, categories in index.items()
            },
            numeric_weights=tuple(
                (name, float(w), float(v))
                for name, w, v in zip(names, weights, impute, strict=True)
            ),
        )

    @classmethod
    def load(cls, model_path: Path, metrics_path: Path) -> ChurnModel:
        """Read the two JSON files written by ``training/train.py``."""
        try:
            artefact = json.loads(Path(model_path).read_text())
            metrics = json.loads(Path(metrics_path).read_text())
        except FileNotFoundError as exc:
            raise ModelLoadError(
                f"{exc.filename} not found: run `python training/train.py` first"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"unreadable model file: {exc}") from exc
        return cls.from_artefact(artefact, metrics)

    def churn_probability(self, customer: Mapping[str, Any]) -> float:
        """P(churn) for one customer given as a mapping of feature name to value."""
        z = self.bias
        for feature, weights in self.category_weights.items():
            z += weights[customer[feature]]
        for feature, weight, impute in self.numeric_weights:
            value = customer[feature]
            z += weight * (impute if value is None else value)
        return _sigmoid(z)

    def predict(self, customer: Mapping[str, Any]) -> tuple[bool, float]:
        """(churn class, churn probability) for one customer."""
        probability = self.churn_probability(customer)
        return probability >= self.threshold, probability

    def predict_many(self, customers: Iterable[Mapping[str, Any]]) -> list[tuple[bool, float]]:
        """:meth:`predict` for each customer, in order (same arithmetic, so identical results)."""
        return [self.predict(customer) for customer in customers]
