"""Where does the time of one churn prediction go?

Trains the course's churn pipeline (OneHotEncoder + StandardScaler + LogisticRegression) and
times four ways of scoring customers:

1. the naive service path: build a one-row pandas DataFrame per request and call the pipeline;
2. a precomputed fast path: the fitted scaler and encoder folded into plain Python lookups;
3. the bare arithmetic: one dot product and a sigmoid on an already-encoded numpy vector;
4. a batch of 1,000 rows through the pipeline, reported per record.

The fast path must reproduce the pipeline's probabilities to within 1e-6.

Run: uv run python lectures/04_services_in_python/examples/latency_gap.py
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find churn_model.py
from churn_model import CATEGORICAL, NUMERIC, load_data, train_pipeline


@dataclass(frozen=True)
class FastChurnScorer:
    """The fitted pipeline reduced to numbers: one weight per numeric column, a lookup per category.

    Scaling is folded into the weights: w * (x - mean) / scale == (w / scale) * x - w * mean / scale,
    and a one-hot column contributes its coefficient only when its category is present.
    """

    intercept: float
    numeric_weights: dict[str, float]
    numeric_fill: dict[str, float]
    category_weights: dict[str, dict[str, float]]

    @classmethod
    def from_pipeline(cls, model: Pipeline) -> FastChurnScorer:
        """Extract the precomputed scorer from a fitted `train_pipeline` result."""
        pre: ColumnTransformer = model.named_steps["pre"]
        clf: LogisticRegression = model.named_steps["clf"]
        numeric: Pipeline = pre.named_transformers_["num"]
        imputer: SimpleImputer = numeric.named_steps["simpleimputer"]
        scaler: StandardScaler = numeric.named_steps["standardscaler"]
        encoder: OneHotEncoder = pre.named_transformers_["cat"]
        coef = clf.coef_[0]
        n_num = len(NUMERIC)
        w_num = coef[:n_num] / scaler.scale_
        intercept = float(clf.intercept_[0] - np.dot(w_num, scaler.mean_))
        category_weights: dict[str, dict[str, float]] = {}
        offset = n_num
        for column, categories in zip(CATEGORICAL, encoder.categories_, strict=True):
            block = coef[offset : offset + len(categories)]
            category_weights[column] = {
                str(c): float(w) for c, w in zip(categories, block, strict=True)
            }
            offset += len(categories)
        return cls(
            intercept=intercept,
            numeric_weights={c: float(w) for c, w in zip(NUMERIC, w_num, strict=True)},
            numeric_fill={c: float(v) for c, v in zip(NUMERIC, imputer.statistics_, strict=True)},
            category_weights=category_weights,
        )

    def predict_proba(self, record: dict[str, Any]) -> float:
        """Churn probability for one customer given as a plain dict (unknown categories add 0)."""
        logit = self.intercept
        for column, weight in self.numeric_weights.items():
            value = record.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                value = self.numeric_fill[column]
            logit += weight * value
        for column, table in self.category_weights.items():
            logit += table.get(record[column], 0.0)
        return 1.0 / (1.0 + math.exp(-logit))


def time_calls(fn: Callable[[], object], repeats: int) -> list[float]:
    """Run `fn` `repeats` times and return each call's duration in seconds."""
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - start)
    return durations


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`, linear interpolation like numpy's default."""
    return float(np.percentile(values, q))


def measure(repeats: int = 150, batch_size: int = 1000) -> dict[str, float]:
    """Train, check the fast path against the pipeline and time the four scoring paths.

    Returns seconds per prediction for each path plus the largest probability difference.
    """
    x, y = load_data()
    model = train_pipeline(x, y)
    fast = FastChurnScorer.from_pipeline(model)

    records = x.iloc[:batch_size].to_dict(orient="records")
    reference = model.predict_proba(x.iloc[:batch_size])[:, 1]
    fast_probs = np.array([fast.predict_proba(r) for r in records])
    max_diff = float(np.max(np.abs(fast_probs - reference)))
    assert max_diff < 1e-6, f"fast path disagrees with the pipeline by {max_diff}"

    record = records[0]
    for _ in range(10):  # warm-up: first calls pay for lazy imports and caches
        model.predict_proba(pd.DataFrame([record]))

    dataframe_times = time_calls(lambda: model.predict_proba(pd.DataFrame([record]))[0, 1], repeats)
    fast_times = time_calls(lambda: fast.predict_proba(record), repeats * 20)

    encoded = np.asarray(model.named_steps["pre"].transform(x.iloc[:1]))[0]
    clf = model.named_steps["clf"]
    w, b = clf.coef_[0], float(clf.intercept_[0])
    arithmetic_times = time_calls(
        lambda: 1.0 / (1.0 + math.exp(-(float(encoded @ w) + b))), repeats * 20
    )

    batch = x.iloc[:batch_size]
    batch_times = time_calls(lambda: model.predict_proba(batch), max(5, repeats // 10))

    return {
        "dataframe_p50": statistics.median(dataframe_times),
        "dataframe_p95": percentile(dataframe_times, 95),
        "dataframe_p99": percentile(dataframe_times, 99),
        "fast_p50": statistics.median(fast_times),
        "arithmetic_p50": statistics.median(arithmetic_times),
        "batch_per_record": statistics.median(batch_times) / batch_size,
        "max_abs_diff": max_diff,
    }


def main() -> None:
    """Print the latency table for the churn model."""
    result = measure()
    us = 1e6
    print("Scoring path                                   time per prediction")
    print(f"pipeline, one-row DataFrame per request  p50 {result['dataframe_p50'] * us:10.1f} us")
    print(f"                                         p95 {result['dataframe_p95'] * us:10.1f} us")
    print(f"                                         p99 {result['dataframe_p99'] * us:10.1f} us")
    print(f"precomputed lookups from a dict          p50 {result['fast_p50'] * us:10.2f} us")
    print(f"dot product + sigmoid on a numpy vector  p50 {result['arithmetic_p50'] * us:10.2f} us")
    print(
        f"pipeline, batch of 1000 rows, per record     {result['batch_per_record'] * us:10.2f} us"
    )
    ratio = result["dataframe_p50"] / result["arithmetic_p50"]
    print(f"per-request overhead vs arithmetic: x{ratio:,.0f}")
    print(f"fast path vs pipeline, max |diff|: {result['max_abs_diff']:.2e} (must be < 1e-6)")


if __name__ == "__main__":
    main()
