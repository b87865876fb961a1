"""Design patterns that keep an ML service small, swappable and testable.

* Protocol (structural interface): anything with ``predict_proba(rows)`` is a churn model.
* Registry + factory: models register under a name; configuration picks one by name.
* Adapter: wrap a "legacy" scorer with a different interface so it fits the protocol.
* Strategy: the business decision (who gets a retention offer) is a swappable policy.
* Dependency injection + facade: ``ScoringService`` receives its model and policy from outside,
  so tests can pass fakes, and callers see one small method.
* Settings object: configuration comes from environment variables (twelve-factor style) and is
  validated once at start-up by pydantic-settings.

Usage::

    uv run python lectures/02_working_with_code/examples/design_patterns.py
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import churn_kernel as kernel
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChurnModel(Protocol):
    """What the service needs from a model, and nothing more."""

    name: str

    def predict_proba(self, rows: Sequence[kernel.Row]) -> list[float]:
        """Churn probability for every row, in order."""
        ...


class ServiceSettings(BaseSettings):
    """Service configuration, read from ``CHURN_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CHURN_")

    model: str = "linear"
    weights_path: Path | None = None
    policy: Literal["threshold", "top-k"] = "threshold"
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    budget: float = Field(0.1, gt=0.0, le=1.0, description="share of customers we can call")


ModelFactory = Callable[[ServiceSettings], ChurnModel]
MODEL_REGISTRY: dict[str, ModelFactory] = {}


def register_model(name: str) -> Callable[[ModelFactory], ModelFactory]:
    """Class/function decorator that adds a model factory to the registry."""

    def decorator(factory: ModelFactory) -> ModelFactory:
        """Store ``factory`` under ``name``; refuse duplicates."""
        if name in MODEL_REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        MODEL_REGISTRY[name] = factory
        return factory

    return decorator


def build_model(settings: ServiceSettings) -> ChurnModel:
    """Factory: turn a configured name into a model object."""
    try:
        factory = MODEL_REGISTRY[settings.model]
    except KeyError:
        known = ", ".join(sorted(MODEL_REGISTRY))
        raise ValueError(f"unknown model {settings.model!r}; known: {known}") from None
    return factory(settings)


@register_model("tenure-rule")
class TenureRuleModel:
    """Baseline heuristic: new month-to-month customers churn most. Always keep a baseline."""

    name = "tenure-rule"

    def __init__(self, settings: ServiceSettings | None = None) -> None:
        self.settings = settings

    def predict_proba(self, rows: Sequence[kernel.Row]) -> list[float]:
        """High score for short tenure on a monthly contract, low otherwise."""
        scores = []
        for row in rows:
            monthly = row["contract"] == "Month-to-month"
            scores.append(0.7 if monthly and row["tenure"] < 12 else 0.4 if monthly else 0.05)
        return scores


@register_model("linear")
class LinearModel:
    """The exported logistic regression, loaded from a JSON artefact."""

    name = "linear"

    def __init__(self, settings: ServiceSettings) -> None:
        if settings.weights_path is None:
            raise ValueError("the linear model needs CHURN_WEIGHTS_PATH")
        self.weights = json.loads(settings.weights_path.read_text(encoding="utf-8"))

    def predict_proba(self, rows: Sequence[kernel.Row]) -> list[float]:
        """Score with the pure-Python kernel."""
        return kernel.score_rows(self.weights, list(rows))


def legacy_churn_percent(customer: dict[str, Any]) -> int:
    """A vendor scorer we cannot change: camelCase keys in, an integer percentage out."""
    return 80 if customer["contractType"] == "monthly" and customer["tenureMonths"] < 6 else 20


class LegacyScorerAdapter:
    """Adapter: translate our rows to the vendor's format and its percent back to [0, 1]."""

    name = "legacy-adapter"

    def __init__(self, scorer: Callable[[dict[str, Any]], int] = legacy_churn_percent) -> None:
        self.scorer = scorer

    def predict_proba(self, rows: Sequence[kernel.Row]) -> list[float]:
        """Call the vendor scorer once per row."""
        converted = (
            {
                "tenureMonths": row["tenure"],
                "contractType": "monthly" if row["contract"] == "Month-to-month" else "fixed",
            }
            for row in rows
        )
        return [self.scorer(customer) / 100 for customer in converted]


class DecisionPolicy(Protocol):
    """Strategy: turn probabilities into yes/no decisions."""

    def decide(self, probabilities: Sequence[float]) -> list[bool]:
        """One decision per probability."""
        ...


@dataclass(frozen=True)
class ThresholdPolicy:
    """Offer to everyone above a fixed probability."""

    threshold: float = 0.5

    def decide(self, probabilities: Sequence[float]) -> list[bool]:
        """True where the probability reaches the threshold."""
        return [p >= self.threshold for p in probabilities]


@dataclass(frozen=True)
class TopKPolicy:
    """Offer to the riskiest ``budget`` share of customers (the call centre has limited time)."""

    budget: float = 0.1

    def decide(self, probabilities: Sequence[float]) -> list[bool]:
        """True for the ``max(1, floor(budget * n))`` highest probabilities (stable ties)."""
        if not probabilities:
            return []
        k = max(1, int(self.budget * len(probabilities)))
        ranked = sorted(range(len(probabilities)), key=lambda i: (-probabilities[i], i))
        chosen = set(ranked[:k])
        return [i in chosen for i in range(len(probabilities))]


def build_policy(settings: ServiceSettings) -> DecisionPolicy:
    """Factory for the decision strategy."""
    if settings.policy == "top-k":
        return TopKPolicy(settings.budget)
    return ThresholdPolicy(settings.threshold)


class ScoringService:
    """Facade with injected dependencies: the only object an HTTP handler needs to call."""

    def __init__(self, model: ChurnModel, policy: DecisionPolicy) -> None:
        self.model = model
        self.policy = policy

    def score(self, rows: Sequence[kernel.Row]) -> list[dict[str, object]]:
        """Probabilities plus the offer decision for every row."""
        probabilities = self.model.predict_proba(rows)
        decisions = self.policy.decide(probabilities)
        return [
            {"churn_probability": round(p, 4), "offer": d, "model": self.model.name}
            for p, d in zip(probabilities, decisions, strict=True)
        ]


def build_service(settings: ServiceSettings) -> ScoringService:
    """Composition root: the one place where concrete classes are chosen."""
    return ScoringService(build_model(settings), build_policy(settings))


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set environment variables (here: to simulate different deployments)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> None:
    """Train, save the weights artefact, then build services from different configurations."""
    rows, labels = kernel.load_rows()
    sample = rows[:8]
    with tempfile.TemporaryDirectory() as scratch:
        artefact = Path(scratch) / "weights.json"
        artefact.write_text(json.dumps(kernel.train_weights(rows, labels)), encoding="utf-8")

        print(f"registered models: {sorted(MODEL_REGISTRY)}")
        configs = [
            {"CHURN_MODEL": "linear", "CHURN_WEIGHTS_PATH": str(artefact)},
            {
                "CHURN_MODEL": "linear",
                "CHURN_WEIGHTS_PATH": str(artefact),
                "CHURN_POLICY": "top-k",
                "CHURN_BUDGET": "0.25",
            },
            {"CHURN_MODEL": "tenure-rule", "CHURN_THRESHOLD": "0.6"},
        ]
        for env in configs:
            with environment(env):
                settings = ServiceSettings()
            results = build_service(settings).score(sample)
            offers = "".join("X" if r["offer"] else "." for r in results)
            probs = " ".join(f"{r['churn_probability']:.2f}" for r in results)
            print(f"{settings.model:<12} {settings.policy:<10} offers {offers}  p = {probs}")

    adapted = ScoringService(LegacyScorerAdapter(), ThresholdPolicy(0.5)).score(sample)
    print(f"legacy adapter offers: {''.join('X' if r['offer'] else '.' for r in adapted)}")
    try:
        build_model(ServiceSettings(model="xgboost"))
    except ValueError as error:
        print(f"misconfiguration is caught at start-up: {error}")


if __name__ == "__main__":
    main()
