"""Shared helpers for lecture 2: load the churn data without pandas and score it in pure Python.

The churn model is trained with scikit-learn (DictVectorizer + StandardScaler +
LogisticRegression) and then *exported* to a plain dict of weights. Scoring with that dict is
ordinary Python code that holds the GIL, which makes it a fair stand-in for any CPU-bound
Python work (feature engineering, tokenisation, rule engines) in the threads-vs-processes demo.

scikit-learn is imported lazily inside :func:`train_weights`, so worker processes that only
score never pay for importing it.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA = REPO_ROOT / "data" / "train.csv"

INT_COLUMNS = (
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "tenure",
    "phone_service",
    "paperless_billing",
)
FLOAT_COLUMNS = ("monthly_charges", "total_charges")
TEXT_COLUMNS = (
    "multiple_lines",
    "internet_service",
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
    "contract",
    "payment_method",
)

Row = dict[str, Any]
Weights = dict[str, Any]


def load_rows(path: Path = DATA) -> tuple[list[Row], list[int]]:
    """Read the CSV with the csv module: (feature dicts, labels as 0/1)."""
    rows, labels = [], []
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            row: Row = {name: int(record[name]) for name in INT_COLUMNS}
            for name in FLOAT_COLUMNS:
                row[name] = float(record[name]) if record[name] else 0.0
            for name in TEXT_COLUMNS:
                row[name] = record[name]
            rows.append(row)
            labels.append(1 if record["churn"] == "Yes" else 0)
    return rows, labels


def train_weights(rows: list[Row], labels: list[int]) -> Weights:
    """Fit the model with scikit-learn and fold scaler + coefficients into one dict.

    For a standardised linear model ``z = b + sum(c_j * (x_j - m_j) / s_j)``, so each feature
    gets the weight ``c_j / s_j`` and the constant part moves into the bias.
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        DictVectorizer(sparse=False), StandardScaler(), LogisticRegression(max_iter=1000)
    )
    model.fit(rows, labels)
    vectorizer, scaler, classifier = (step for _, step in model.steps)
    coef = classifier.coef_[0] / scaler.scale_
    bias = float(classifier.intercept_[0] - (coef * scaler.mean_).sum())
    names = vectorizer.get_feature_names_out()
    return {"bias": bias, "weights": {str(n): float(w) for n, w in zip(names, coef, strict=True)}}


def score_row(weights: Weights, row: Row) -> float:
    """Churn probability of one customer, computed with nothing but Python arithmetic."""
    table = weights["weights"]
    z = weights["bias"]
    for name in INT_COLUMNS + FLOAT_COLUMNS:
        z += table[name] * row[name]
    for name in TEXT_COLUMNS:
        z += table.get(f"{name}={row[name]}", 0.0)
    return 1.0 / (1.0 + math.exp(-z))


def score_rows(weights: Weights, rows: list[Row]) -> list[float]:
    """Score many customers one by one (pure Python, holds the GIL the whole time)."""
    return [score_row(weights, row) for row in rows]


def feature_names(weights: Weights) -> list[str]:
    """Column order of the dense matrix built by :func:`encode_matrix`."""
    return sorted(weights["weights"])


def encode_matrix(weights: Weights, rows: list[Row]) -> Any:
    """One-hot encode rows into a dense float64 numpy matrix (for vectorised scoring)."""
    import numpy as np

    names = feature_names(weights)
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(rows), len(names)), dtype=np.float64)
    for r, row in enumerate(rows):
        for name in INT_COLUMNS + FLOAT_COLUMNS:
            matrix[r, index[name]] = row[name]
        for name in TEXT_COLUMNS:
            column = index.get(f"{name}={row[name]}")
            if column is not None:
                matrix[r, column] = 1.0
    return matrix


def weight_vector(weights: Weights) -> Any:
    """Weights as a numpy vector in :func:`feature_names` order."""
    import numpy as np

    return np.array([weights["weights"][n] for n in feature_names(weights)], dtype=np.float64)


def main() -> None:
    """Train, export and show the strongest weights of the exported model."""
    rows, labels = load_rows()
    weights = train_weights(rows, labels)
    print(f"{len(rows)} customers, {sum(labels)} churned, {len(weights['weights'])} weights")
    strongest = sorted(weights["weights"].items(), key=lambda item: -abs(item[1]))[:5]
    for name, value in strongest:
        print(f"  {name:<40} {value:+.4f}")
    print(f"first customer scores {score_row(weights, rows[0]):.4f} in pure Python")


if __name__ == "__main__":
    main()
