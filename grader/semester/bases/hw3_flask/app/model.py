"""Pure-Python inference for the exported logistic regression (no scikit-learn, no pandas).

``training/train.py`` writes the scaler statistics, one coefficient per category and the
intercept to ``model/model.json``. At load time the scaling is folded into the coefficients,
so one prediction is ~19 dictionary look-ups, a sum and a sigmoid (a few microseconds).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODEL_PATH = ROOT / "model" / "model.json"
METRICS_PATH = ROOT / "model" / "metrics.json"


class ChurnModel:
    """The churn model: ``z = b + sum(a_i * x_i) + sum(w[f][value])``, ``p = sigmoid(z)``."""

    def __init__(self, params: dict[str, Any], metrics: dict[str, Any] | None = None) -> None:
        self.name: str = params["name"]
        self.version: str = params["version"]
        self.threshold: float = float(params.get("threshold", 0.5))
        self.features: list[str] = list(params["features"])
        self.metrics: dict[str, Any] = dict(metrics or {})
        intercept = float(params["intercept"])
        # (name, slope, fill): slope = coef / scale; the means move into the intercept.
        self._numeric: list[tuple[str, float, float]] = []
        for name, p in params["numeric"].items():
            slope = float(p["coef"]) / float(p["scale"])
            intercept -= slope * float(p["mean"])
            self._numeric.append((name, slope, float(p["fill"])))
        self._categorical: list[tuple[str, dict[str, float]]] = [
            (name, {str(k): float(v) for k, v in table.items()})
            for name, table in params["categorical"].items()
        ]
        self._intercept = intercept

    @classmethod
    def load(cls, model_path: Path = MODEL_PATH, metrics_path: Path = METRICS_PATH) -> ChurnModel:
        """Read the committed artefact (and its golden metrics, when present)."""
        metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
        return cls(json.loads(model_path.read_text()), metrics)

    def probability(self, customer: dict[str, Any]) -> float:
        """Churn probability of one validated customer record (extra keys are ignored)."""
        z = self._intercept
        for name, slope, fill in self._numeric:
            value = customer[name]
            z += slope * (fill if value is None else value)
        for name, table in self._categorical:
            z += table.get(customer[name], 0.0)
        # Numerically stable sigmoid for either sign of z.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def predict(self, customer: dict[str, Any]) -> dict[str, Any]:
        """The contract's Prediction for one validated customer record."""
        p = self.probability(customer)
        return {
            "customer_id": customer.get("customer_id"),
            "churn": p >= self.threshold,
            "churn_probability": p,
            "model_version": self.version,
        }

    def predict_many(self, customers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One Prediction per customer, in order."""
        return [self.predict(c) for c in customers]
