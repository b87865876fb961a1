"""The churn model behind lecture 3's REST and gRPC examples: load, train, validate, score.

Customers are plain dicts with the 19 feature fields of the hw1 contract (plus an optional
``customer_id``). The model is DictVectorizer + StandardScaler + LogisticRegression, so no
pandas is needed; scikit-learn is imported lazily inside :func:`train`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[3] / "data" / "train.csv"
MODEL_NAME = "churn-logreg"
MODEL_VERSION = "1.0.0"
THRESHOLD = 0.5

BINARY = ("female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "multiple_lines": ("No", "No phone service", "Yes"),
    "internet_service": ("DSL", "Fiber optic", "No"),
    "online_security": ("No", "No internet service", "Yes"),
    "online_backup": ("No", "No internet service", "Yes"),
    "device_protection": ("No", "No internet service", "Yes"),
    "tech_support": ("No", "No internet service", "Yes"),
    "streaming_tv": ("No", "No internet service", "Yes"),
    "streaming_movies": ("No", "No internet service", "Yes"),
    "contract": ("Month-to-month", "One year", "Two year"),
    "payment_method": (
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ),
}
FEATURES = (*BINARY, "tenure", *CATEGORIES, "monthly_charges", "total_charges")

Customer = dict[str, Any]


def load_customers(path: Path = DATA) -> list[tuple[int, Customer, bool]]:
    """Read the CSV: (row_id, feature dict, churned) per customer, in file order."""
    out = []
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            customer: Customer = {name: int(record[name]) for name in BINARY}
            customer["tenure"] = int(record["tenure"])
            for name in CATEGORIES:
                customer[name] = record[name]
            customer["monthly_charges"] = float(record["monthly_charges"])
            total = record["total_charges"]
            customer["total_charges"] = float(total) if total else None
            out.append((int(record["row_id"]), customer, record["churn"] == "Yes"))
    return out


def validate(customer: Customer) -> list[str]:
    """Return human-readable problems with one customer (empty list means valid)."""
    problems = [f"{name}: field required" for name in FEATURES if name not in customer]
    if problems:
        return problems
    for name in BINARY:
        if customer[name] not in (0, 1):
            problems.append(f"{name}: must be 0 or 1")
    if not 0 <= customer["tenure"] <= 120:
        problems.append("tenure: must be between 0 and 120")
    for name, allowed in CATEGORIES.items():
        if customer[name] not in allowed:
            problems.append(f"{name}: must be one of {list(allowed)}")
    if customer["monthly_charges"] < 0:
        problems.append("monthly_charges: must be >= 0")
    total = customer["total_charges"]
    if total is not None and total < 0:
        problems.append("total_charges: must be >= 0 or null")
    return problems


def _features(customer: Customer) -> dict[str, Any]:
    row = {name: customer[name] for name in FEATURES}
    row["total_charges"] = row["total_charges"] or 0.0
    return row


@dataclass
class ChurnModel:
    """A fitted pipeline plus the metadata an API reports about it."""

    pipeline: Any
    name: str = MODEL_NAME
    version: str = MODEL_VERSION

    def predict_proba(self, customers: list[Customer]) -> list[float]:
        """Churn probabilities for valid customers, in order."""
        if not customers:
            return []
        return [
            float(p) for p in self.pipeline.predict_proba([_features(c) for c in customers])[:, 1]
        ]

    def predict(self, customer: Customer) -> dict[str, Any]:
        """The hw1-style prediction record for one customer."""
        probability = self.predict_proba([customer])[0]
        return {
            "customer_id": customer.get("customer_id"),
            "churn": probability >= THRESHOLD,
            "churn_probability": round(probability, 6),
            "model_version": self.version,
        }


def train(path: Path = DATA) -> ChurnModel:
    """Fit the model on the whole course training file (about 0.1 s)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    records = load_customers(path)
    pipeline = make_pipeline(
        DictVectorizer(sparse=False), StandardScaler(), LogisticRegression(max_iter=1000)
    )
    pipeline.fit([_features(c) for _, c, _ in records], [churned for _, _, churned in records])
    return ChurnModel(pipeline)


def main() -> None:
    """Train the model, score one customer and show what validation reports for bad input."""
    model = train()
    row_id, customer, churned = load_customers()[1]
    print(f"customer {row_id} (churned: {churned}) -> {model.predict(customer)}")
    broken = {**customer, "tenure": -3, "contract": "Weekly"}
    print(f"validation of a broken copy: {validate(broken)}")


if __name__ == "__main__":
    main()
