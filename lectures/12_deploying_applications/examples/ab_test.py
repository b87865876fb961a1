"""An A/B test of two churn models: split, simulated outcome, significance and sample size.

SIMULATION of the business outcome, everything else real. The models are scikit-learn pipelines
trained on ``data/train.csv``; the customers are that file's rows, identified by ``row_id``.

* **Two versions.** ``A`` is the course pipeline (logistic regression, all features). ``B`` is a
  cheaper candidate: stronger regularisation and no ``contract`` column (one upstream system
  fewer to depend on). Offline, B ranks customers a little worse; the question an A/B test
  answers is whether that costs *retention*, the metric the business pays for.
* **Traffic split.** A customer's arm is a hash of an experiment salt and their id: deterministic
  (the same customer always gets the same arm, in every process and on every replica),
  independent of anything about the customer, and re-randomised by changing the salt.
* **Outcome.** Each arm's model flags the top ``OFFER_SHARE`` of its customers by predicted churn
  probability for a retention offer. A customer churns if their label says so, unless they got
  an offer and it worked (probability ``save_probability``, drawn from a seeded generator). The
  labels are the training labels: a stand-in for the churn observed at the end of the month.
* **Significance.** A two-proportion z-test on the churn rates of the two arms (two-sided).
* **Sample size.** Customers per arm needed to detect a given difference of churn rates with a
  given significance level and power (normal approximation, pooled variance under H0).

Run: uv run python lectures/12_deploying_applications/examples/ab_test.py
"""

from __future__ import annotations

import hashlib
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find canary.py
from canary import DATA_PATH, FEATURES, build_pipeline

SEED = 7
SALT = "churn-model-a-vs-b-2024-q3"
OFFER_SHARE = 0.2  # each arm makes retention offers to its top 20 % by predicted probability
SAVE_PROBABILITY = 0.4  # share of offered churners who stay because of the offer
STANDARD_NORMAL = NormalDist()


def arm(customer_id: str, salt: str = SALT, share_b: float = 0.5) -> str:
    """``"A"`` or ``"B"``: the first 8 bytes of SHA-256(salt:id) as a number in [0, 1)."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return "B" if int.from_bytes(digest[:8], "big") / 2**64 < share_b else "A"


def train_versions(data: pd.DataFrame) -> dict[str, Pipeline]:
    """A: the course pipeline. B: C=0.05 and the contract column left out."""
    y = (data["churn"] == "Yes").astype(int)
    a = build_pipeline().fit(data[FEATURES], y)
    b = build_pipeline(c=0.05)
    pre = b.named_steps["pre"]
    pre.transformers = [
        (name, step, [c for c in columns if c != "contract"])
        for name, step, columns in pre.transformers
    ]
    return {"A": a, "B": b.fit(data[FEATURES], y)}


@dataclass(frozen=True)
class ArmResult:
    customers: int
    churned: int

    @property
    def rate(self) -> float:
        return self.churned / self.customers


@dataclass(frozen=True)
class Experiment:
    a: ArmResult
    b: ArmResult
    z: float
    p_value: float


def two_proportion_z_test(x_a: int, n_a: int, x_b: int, n_b: int) -> tuple[float, float]:
    """z statistic and two-sided p-value for H0: both arms have the same rate (pooled SE)."""
    pooled = (x_a + x_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (x_b / n_b - x_a / n_a) / se
    return z, 2 * (1 - STANDARD_NORMAL.cdf(abs(z)))


def sample_size_per_arm(p_a: float, p_b: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers per arm for a two-sided test at ``alpha`` to detect p_a vs p_b with ``power``.

    n = (z_(1-alpha/2) * sqrt(2 * p * (1 - p)) + z_power * sqrt(p_a(1-p_a) + p_b(1-p_b)))^2
        / (p_a - p_b)^2, with p the mean of p_a and p_b.
    """
    if not (0 < p_a < 1 and 0 < p_b < 1) or p_a == p_b:
        raise ValueError("rates must be in (0, 1) and differ")
    z_alpha = STANDARD_NORMAL.inv_cdf(1 - alpha / 2)
    z_power = STANDARD_NORMAL.inv_cdf(power)
    p = (p_a + p_b) / 2
    spread = z_alpha * math.sqrt(2 * p * (1 - p))
    spread += z_power * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    return math.ceil(spread**2 / (p_a - p_b) ** 2)


def run_experiment(
    data: pd.DataFrame,
    models: dict[str, Pipeline],
    save_probability: dict[str, float] | None = None,
    seed: int = SEED,
    salt: str = SALT,
) -> Experiment:
    """Split the customers, let each arm's model pick whom to offer, simulate who churns."""
    save = save_probability or {"A": SAVE_PROBABILITY, "B": SAVE_PROBABILITY}
    rng = np.random.default_rng(seed)
    offer_works = rng.random(len(data))  # one draw per customer, whichever arm they land in
    churner = (data["churn"] == "Yes").to_numpy()
    arms = np.array([arm(str(i), salt) for i in data["row_id"]])
    results = {}
    for name in ("A", "B"):
        mask = arms == name
        scores = models[name].predict_proba(data.loc[mask, FEATURES])[:, 1]
        offered = scores >= np.quantile(scores, 1 - OFFER_SHARE)
        saved = offered & (offer_works[mask] < save[name])
        results[name] = ArmResult(int(mask.sum()), int((churner[mask] & ~saved).sum()))
    z, p = two_proportion_z_test(
        results["A"].churned, results["A"].customers, results["B"].churned, results["B"].customers
    )
    return Experiment(results["A"], results["B"], z, p)


def load() -> pd.DataFrame:
    return pd.read_csv(DATA_PATH)


def main() -> None:
    """Offline AUC, the experiment, an A/A check, and the sample size the observed gap needs."""
    data = load()
    models = train_versions(data)
    y = (data["churn"] == "Yes").astype(int)
    for name, model in models.items():
        auc = roc_auc_score(y, model.predict_proba(data[FEATURES])[:, 1])
        print(f"model {name}: offline ROC-AUC {auc:.4f}")
    result = run_experiment(data, models)
    for name, r in (("A", result.a), ("B", result.b)):
        print(f"arm {name}: {r.customers} customers, {r.churned} churned ({r.rate:.2%})")
    print(f"difference B - A: {result.b.rate - result.a.rate:+.2%}, z = {result.z:.2f}, "
          f"p = {result.p_value:.3f}")  # fmt: skip
    aa = run_experiment(data, {"A": models["A"], "B": models["A"]})
    print(f"A/A check (same model in both arms): p = {aa.p_value:.3f}")
    n = sample_size_per_arm(result.a.rate, result.b.rate)
    print(f"to detect a gap of {abs(result.b.rate - result.a.rate):.2%} with 80% power at "
          f"alpha 0.05: {n:,} customers per arm")  # fmt: skip
    print(f"to detect 1 point (26% -> 25%): {sample_size_per_arm(0.26, 0.25):,} per arm")


if __name__ == "__main__":
    main()
