"""Customers made at grading time: real training rows perturbed within the contract's constraints.

The dataset is public, so a model can memorise any fixed set of customers; these are new each commit
(seeded from the commit SHA, so a regrade of the same commit sends the same customers). A
perturbation changes one to three fields of a real customer and repairs what depends on them, so no
customer is impossible: without internet service every internet add-on is "No internet service",
without phone service ``multiple_lines`` is "No phone service", ``total_charges`` follows tenure
times monthly charges (``null`` at zero tenure, as in the data).
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

INTERNET_ADDONS = (
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
)
CHOICES = {
    "contract": ("Month-to-month", "One year", "Two year"),
    "payment_method": (
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ),
    "internet_service": ("DSL", "Fiber optic", "No"),
    "paperless_billing": (0, 1),
    "senior_citizen": (0, 1),
    "partner": (0, 1),
    "dependents": (0, 1),
    "phone_service": (0, 1),
}
NUMERIC = ("tenure", "monthly_charges")
MAX_TENURE = 72  # the data's range; the contract allows up to 120


def seed_from(commit: str) -> int:
    """A stable seed from a commit SHA (or any text)."""
    return int.from_bytes(hashlib.sha256(commit.encode()).digest()[:8], "big")


def _repair(customer: dict[str, Any], rng: random.Random) -> None:
    """Make dependent fields consistent with the ones that were changed."""
    if customer["internet_service"] == "No":
        for addon in INTERNET_ADDONS:
            customer[addon] = "No internet service"
    else:
        for addon in INTERNET_ADDONS:
            if customer[addon] == "No internet service":
                customer[addon] = rng.choice(("No", "Yes"))
    if customer["phone_service"] == 0:
        customer["multiple_lines"] = "No phone service"
    elif customer["multiple_lines"] == "No phone service":
        customer["multiple_lines"] = rng.choice(("No", "Yes"))
    tenure = customer["tenure"]
    monthly = customer["monthly_charges"]
    customer["total_charges"] = (
        None if tenure == 0 else round(tenure * monthly * rng.uniform(0.95, 1.05), 2)
    )


def perturb(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One new customer from a real row: one to three fields changed, dependants repaired."""
    customer = {k: v for k, v in row.items() if k not in ("churn", "customer_id")}
    fields = rng.sample([*CHOICES, *NUMERIC], rng.randint(1, 3))
    for field in fields:
        if field == "tenure":
            customer["tenure"] = min(MAX_TENURE, max(0, customer["tenure"] + rng.randint(-24, 24)))
        elif field == "monthly_charges":
            customer["monthly_charges"] = round(
                min(120.0, max(18.0, customer["monthly_charges"] * rng.uniform(0.7, 1.3))), 2
            )
        else:
            customer[field] = rng.choice([v for v in CHOICES[field] if v != customer[field]])
    _repair(customer, rng)
    return customer


def perturbed_customers(
    rows: list[dict[str, Any]], commit: str, count: int
) -> list[dict[str, Any]]:
    """``count`` perturbed customers, the same for the same commit."""
    rng = random.Random(seed_from(commit))
    return [
        {**perturb(rng.choice(rows), rng), "customer_id": f"generated-{i}"} for i in range(count)
    ]
