"""A canary release of a new churn model, with automatic rollback. Deterministic and seeded.

SIMULATION: no load balancer or cluster is involved. Requests are real customers from
``data/train.csv``; the models are real scikit-learn pipelines, and the errors are real
exceptions raised by a real bug. Only the traffic router and the clock are simulated.

* ``v1`` is the model in production.
* ``v2-good`` is a retrained model (stronger regularisation): it should be promoted.
* ``v2-bad`` was retrained on an export that accidentally filtered out customers without a phone
  line, and its encoder was built with ``handle_unknown="error"``. Every request with
  ``multiple_lines == "No phone service"`` (about 9% of customers) makes it raise — the kind of
  bug offline evaluation on the same filtered export will never show.
* ``v2-skewed`` was retrained with ``class_weight="balanced"``: it never fails and ranks
  customers about as well, but every probability moves up, so the fixed 0.5 threshold suddenly
  flags far more customers. Only a model-level guard catches it.

The controller sends 5%, then 25%, 50% and 100% of traffic to the candidate, using a sticky hash
of the customer id (a customer always sees the same version during the rollout). After each
step it compares the candidate's error rate and its mean predicted probability with the stable
version's; a breach rolls traffic back to v1 at once.

Run it with ``uv run python lectures/12_deploying_applications/examples/canary.py``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DATA_PATH = Path(__file__).resolve().parents[3] / "data" / "train.csv"
SEED = 2024

NUMERIC = ["tenure", "monthly_charges", "total_charges"]
BINARY = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
CATEGORICAL = [
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
]
FEATURES = BINARY + NUMERIC + CATEGORICAL


def build_pipeline(c: float = 1.0, handle_unknown: str = "ignore") -> Pipeline:
    """The course's churn pipeline with a configurable regularisation and encoder policy."""
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler()),
                NUMERIC,
            ),
            ("bin", "passthrough", BINARY),
            ("cat", OneHotEncoder(handle_unknown=handle_unknown), CATEGORICAL),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(C=c, max_iter=1000))])


def train_versions(train: pd.DataFrame) -> dict[str, Pipeline]:
    """Fit v1 and three candidates: healthy, crashing, and silently shifted."""
    y = (train["churn"] == "Yes").astype(int)
    v1 = build_pipeline().fit(train[FEATURES], y)
    v2_good = build_pipeline(c=0.3).fit(train[FEATURES], y)
    filtered = train[train["multiple_lines"] != "No phone service"]
    v2_bad = build_pipeline(c=0.3, handle_unknown="error").fit(
        filtered[FEATURES], (filtered["churn"] == "Yes").astype(int)
    )
    v2_skewed = build_pipeline(c=0.3)
    v2_skewed.set_params(clf__class_weight="balanced")
    v2_skewed.fit(train[FEATURES], y)
    return {"v1": v1, "v2-good": v2_good, "v2-bad": v2_bad, "v2-skewed": v2_skewed}


def bucket(customer_id: str) -> float:
    """Sticky routing: a stable number in [0, 1) per customer."""
    return (zlib.crc32(customer_id.encode()) % 10_000) / 10_000


@dataclass
class StepStats:
    """Counters for one rollout step."""

    weight: float
    requests: int = 0
    canary_requests: int = 0
    canary_errors: int = 0
    stable_errors: int = 0
    canary_scores: list[float] = field(default_factory=list)
    stable_scores: list[float] = field(default_factory=list)
    decision: str = ""

    @property
    def canary_error_rate(self) -> float:
        """Share of canary requests that failed."""
        return self.canary_errors / self.canary_requests if self.canary_requests else 0.0

    @property
    def score_shift(self) -> float:
        """|mean canary - mean stable probability| over the canary's requests (paired)."""
        if not self.canary_scores or not self.stable_scores:
            return 0.0
        return abs(float(np.mean(self.canary_scores)) - float(np.mean(self.stable_scores)))


@dataclass
class RolloutResult:
    """What happened during one canary release."""

    candidate: str
    outcome: str  # "promoted" or "rolled back"
    steps: list[StepStats]
    user_errors: int
    total_requests: int


@dataclass
class CanaryPolicy:
    """Rollout schedule and guard rails."""

    weights: tuple[float, ...] = (0.05, 0.25, 0.5, 1.0)
    requests_per_step: int = 400
    min_canary_requests: int = 50  # do not judge on a handful of requests
    max_error_rate: float = 0.02
    max_score_shift: float = 0.05  # model-level guard: predictions must not move much


def serve(model: Pipeline, rows: pd.DataFrame) -> list[float | None]:
    """Score a micro-batch of requests; ``None`` marks a request that failed.

    The batch is tried in one call; if the model raises, each request is retried alone so that
    only the requests that really fail count as errors (a real server answers them with 500).
    """
    if rows.empty:
        return []
    try:
        return model.predict_proba(rows[FEATURES])[:, 1].astype(float).tolist()
    except ValueError:
        scores: list[float | None] = []
        for i in range(len(rows)):
            try:
                scores.append(float(model.predict_proba(rows.iloc[[i]][FEATURES])[0, 1]))
            except ValueError:
                scores.append(None)
        return scores


def run_canary(
    candidate: str,
    models: dict[str, Pipeline],
    traffic: pd.DataFrame,
    policy: CanaryPolicy | None = None,
    seed: int = SEED,
) -> RolloutResult:
    """Roll ``candidate`` out step by step; roll back as soon as a guard is breached."""
    policy = policy or CanaryPolicy()
    rng = np.random.default_rng(seed)
    stable, canary = models["v1"], models[candidate]
    buckets = traffic["customer_id"].map(bucket).to_numpy()
    steps: list[StepStats] = []
    user_errors = total = 0
    for weight in policy.weights:
        stats = StepStats(weight)
        # serve until the canary has enough traffic to judge (bounded: at most 10 rounds)
        for _ in range(10):
            picks = rng.integers(0, len(traffic), size=policy.requests_per_step)
            to_canary = buckets[picks] < weight
            canary_rows = traffic.iloc[picks[to_canary]]
            canary_out = serve(canary, canary_rows)
            stable_out = serve(stable, traffic.iloc[picks[~to_canary]])
            # Shadow-score the canary's requests with the stable model too: comparing the two
            # versions on the *same* customers removes the noise of comparing different people.
            paired = serve(stable, canary_rows)
            canary_errors = sum(x is None for x in canary_out)
            stable_errors = sum(x is None for x in stable_out)
            stats.requests += len(picks)
            stats.canary_requests += int(to_canary.sum())
            stats.canary_errors += canary_errors
            stats.stable_errors += stable_errors
            for new, old in zip(canary_out, paired, strict=True):
                if new is not None and old is not None:
                    stats.canary_scores.append(new)
                    stats.stable_scores.append(old)
            total += len(picks)
            user_errors += canary_errors + stable_errors
            if stats.canary_requests >= policy.min_canary_requests:
                break
        steps.append(stats)
        if stats.canary_error_rate > policy.max_error_rate:
            stats.decision = (
                f"ROLLBACK: error rate {stats.canary_error_rate:.1%} > {policy.max_error_rate:.0%}"
            )
            return RolloutResult(candidate, "rolled back", steps, user_errors, total)
        if stats.score_shift > policy.max_score_shift:
            stats.decision = (
                f"ROLLBACK: mean score moved {stats.score_shift:.3f} > {policy.max_score_shift}"
            )
            return RolloutResult(candidate, "rolled back", steps, user_errors, total)
        stats.decision = "promote" if weight < 1.0 else "done: candidate is the new stable"
    return RolloutResult(candidate, "promoted", steps, user_errors, total)


def load_traffic(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the data: 70% to train the versions, 30% replayed as production traffic."""
    df = pd.read_csv(DATA_PATH)
    df["customer_id"] = "cust-" + df["row_id"].astype(str)
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = int(0.7 * len(shuffled))
    return shuffled.iloc[:cut], shuffled.iloc[cut:].reset_index(drop=True)


def print_rollout(result: RolloutResult) -> None:
    """Render the rollout timeline."""
    print(f"== canary release of {result.candidate} ==")
    print(f"  {'weight':>6} {'requests':>9} {'to canary':>10} {'errors':>7} {'shift':>7}  decision")
    for s in result.steps:
        print(
            f"  {s.weight:>6.0%} {s.requests:>9} {s.canary_requests:>10} {s.canary_errors:>7}"
            f" {s.score_shift:>7.3f}  {s.decision}"
        )
    print(
        f"  outcome: {result.outcome}; failed user requests: {result.user_errors} "
        f"of {result.total_requests}\n"
    )


def main() -> None:
    """Release both candidates and compare with a big-bang deployment of the bad one."""
    train, traffic = load_traffic()
    models = train_versions(train)
    for candidate in ("v2-good", "v2-bad", "v2-skewed"):
        print_rollout(run_canary(candidate, models, traffic))
    broken_share = float((traffic["multiple_lines"] == "No phone service").mean())
    print(
        f"a big-bang release of v2-bad would fail {broken_share:.1%} of all requests "
        "until someone noticed."
    )


if __name__ == "__main__":
    main()
