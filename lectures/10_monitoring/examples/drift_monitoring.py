"""Data drift vs concept drift on the churn data: PSI, the KS test and the model's ROC-AUC.

We train the churn model on a "reference" slice of ``data/train.csv`` and then look at three
simulated weeks of production traffic built from the rest of the rows:

* week 1 - nothing changed (the same population): every PSI should be small;
* week 2 - data drift: a promotion brought in many new month-to-month customers and prices
  went up 5%, so the *inputs* move (tenure, contract, charges) and so do the model's scores;
* week 3 - concept drift: the inputs look exactly like week 1, but a competitor's cheap fibre
  offer changed *who churns*, so P(churn | features) moved. Input monitoring cannot see this;
  only the labels (which arrive weeks later) reveal the drop in ROC-AUC.

Run it with ``uv run python lectures/10_monitoring/examples/drift_monitoring.py``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find monitored_model.py
from monitored_model import DATA_PATH, FEATURES, NUMERIC, build_pipeline

SEED = 7

# The usual rule of thumb for PSI (from credit-scoring practice, not a statistical test).
PSI_MODERATE = 0.10
PSI_MAJOR = 0.25


def psi_verdict(value: float) -> str:
    """Translate a PSI value into the conventional traffic light."""
    if value >= PSI_MAJOR:
        return "MAJOR shift"
    if value >= PSI_MODERATE:
        return "moderate"
    return "stable"


def psi(
    reference: pd.Series | np.ndarray,
    current: pd.Series | np.ndarray,
    bins: int = 10,
    categorical: bool = False,
    eps: float = 1e-4,
) -> float:
    """Population Stability Index: sum over bins of (cur% - ref%) * ln(cur% / ref%).

    Numeric features are cut at the reference's quantiles (so each reference bin holds about
    1/bins of the data); categorical features use one bin per category seen in either sample.
    Empty bins are floored at ``eps`` so the logarithm stays finite. Missing values are dropped.
    """
    ref = pd.Series(reference).dropna()
    cur = pd.Series(current).dropna()
    if categorical:
        categories = sorted(set(ref.unique()) | set(cur.unique()), key=str)
        ref_share = ref.value_counts(normalize=True).reindex(categories, fill_value=0).to_numpy()
        cur_share = cur.value_counts(normalize=True).reindex(categories, fill_value=0).to_numpy()
    else:
        inner = np.unique(np.quantile(ref.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)[1:-1]))
        edges = np.concatenate([[-np.inf], inner, [np.inf]])
        ref_share = np.histogram(ref.to_numpy(dtype=float), edges)[0] / len(ref)
        cur_share = np.histogram(cur.to_numpy(dtype=float), edges)[0] / len(cur)
    ref_share = np.clip(ref_share, eps, None)
    cur_share = np.clip(cur_share, eps, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def ks_2sample(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test: (D statistic, asymptotic p-value).

    D is the largest vertical gap between the two empirical CDFs. The p-value uses the
    asymptotic Kolmogorov distribution with the usual small-sample correction (Stephens 1970);
    with ties (integer features such as tenure) it is conservative.
    """
    x = np.sort(pd.Series(a).dropna().to_numpy(dtype=float))
    y = np.sort(pd.Series(b).dropna().to_numpy(dtype=float))
    grid = np.concatenate([x, y])
    cdf_x = np.searchsorted(x, grid, side="right") / len(x)
    cdf_y = np.searchsorted(y, grid, side="right") / len(y)
    d = float(np.max(np.abs(cdf_x - cdf_y)))
    n_eff = len(x) * len(y) / (len(x) + len(y))
    lam = (math.sqrt(n_eff) + 0.12 + 0.11 / math.sqrt(n_eff)) * d
    if lam < 1e-3:
        return d, 1.0
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, float(min(max(p, 0.0), 1.0))


def train_model(df: pd.DataFrame) -> Pipeline:
    """The course's pipeline: impute + scale numerics, one-hot categoricals, logistic regression."""
    model = build_pipeline()
    model.fit(df[FEATURES], (df["churn"] == "Yes").astype(int))
    return model


def make_weeks(df: pd.DataFrame, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Split into a reference slice and three simulated production weeks (see module docstring)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(df))
    cut = int(0.6 * len(df))
    reference = df.iloc[order[:cut]].reset_index(drop=True)
    pool = df.iloc[order[cut:]].reset_index(drop=True)

    week1 = pool.copy()

    # Week 2: new customers dominate (weight falls with tenure, month-to-month favoured),
    # and every price is 5% higher.
    weights = np.exp(-pool["tenure"].to_numpy() / 36.0)
    weights *= np.where(pool["contract"] == "Month-to-month", 1.5, 1.0)
    picked = rng.choice(len(pool), size=len(pool), replace=True, p=weights / weights.sum())
    week2 = pool.iloc[picked].reset_index(drop=True)
    week2["monthly_charges"] = (week2["monthly_charges"] * 1.05).round(2)
    week2["total_charges"] = (week2["total_charges"] * 1.05).round(2)

    # Week 3: identical inputs to week 1, different relationship between inputs and churn.
    week3 = pool.copy()
    fibre_on_contract = (week3["internet_service"] == "Fiber optic") & (
        week3["contract"] != "Month-to-month"
    )
    loyal_now = (week3["internet_service"] == "DSL") & (week3["contract"] == "Month-to-month")
    coin = rng.random(len(week3))
    week3.loc[fibre_on_contract & (coin < 0.6), "churn"] = "Yes"
    week3.loc[loyal_now & (coin < 0.6), "churn"] = "No"
    return {"reference": reference, "week1": week1, "week2": week2, "week3": week3}


@dataclass
class FeatureDrift:
    """Drift statistics of one feature in one week."""

    feature: str
    psi: float
    ks_d: float | None
    ks_p: float | None

    @property
    def verdict(self) -> str:
        """Traffic-light label from the PSI thresholds."""
        return psi_verdict(self.psi)


@dataclass
class WeekReport:
    """Everything we know about one production week."""

    name: str
    features: list[FeatureDrift]
    score_psi: float
    mean_score: float
    roc_auc: float
    churn_rate: float

    @property
    def max_feature_psi(self) -> float:
        """The worst input PSI of the week."""
        return max(f.psi for f in self.features)

    def drift(self, feature: str) -> FeatureDrift:
        """Look up one feature's statistics."""
        return next(f for f in self.features if f.feature == feature)


def analyse(seed: int = SEED) -> tuple[float, dict[str, WeekReport]]:
    """Train on the reference slice and compute drift and quality for each week."""
    df = pd.read_csv(DATA_PATH)
    weeks = make_weeks(df, seed)
    reference = weeks.pop("reference")
    model = train_model(reference)
    ref_scores = model.predict_proba(reference[FEATURES])[:, 1]
    reports: dict[str, WeekReport] = {}
    for name, week in weeks.items():
        drifts = []
        for feature in FEATURES:
            if feature in NUMERIC:
                d, p = ks_2sample(reference[feature], week[feature])
                drifts.append(FeatureDrift(feature, psi(reference[feature], week[feature]), d, p))
            else:
                value = psi(reference[feature], week[feature], categorical=True)
                drifts.append(FeatureDrift(feature, value, None, None))
        scores = model.predict_proba(week[FEATURES])[:, 1]
        labels = (week["churn"] == "Yes").astype(int)
        reports[name] = WeekReport(
            name=name,
            features=drifts,
            score_psi=psi(ref_scores, scores),
            mean_score=float(scores.mean()),
            roc_auc=float(roc_auc_score(labels, scores)),
            churn_rate=float(labels.mean()),
        )
    ref_auc = float(
        roc_auc_score((reference["churn"] == "Yes").astype(int), ref_scores)
    )  # in-sample, for orientation only
    return ref_auc, reports


def main() -> None:
    """Print a drift report per week, then the lesson."""
    ref_auc, reports = analyse()
    print(f"reference slice: in-sample ROC-AUC {ref_auc:.3f}\n")
    watched = ["tenure", "monthly_charges", "total_charges", "contract", "internet_service"]
    for report in reports.values():
        print(f"== {report.name} ==")
        print(f"  {'feature':<18}{'PSI':>8}{'KS D':>8}{'KS p':>11}  verdict")
        for feature in watched:
            f = report.drift(feature)
            ks_d = f"{f.ks_d:8.3f}" if f.ks_d is not None else f"{'-':>8}"
            ks_p = f"{f.ks_p:11.2e}" if f.ks_p is not None else f"{'-':>11}"
            print(f"  {feature:<18}{f.psi:8.3f}{ks_d}{ks_p}  {f.verdict}")
        print(
            f"  max input PSI {report.max_feature_psi:.3f} | score PSI {report.score_psi:.3f} "
            f"({psi_verdict(report.score_psi)}) | mean score {report.mean_score:.3f}"
        )
        print(
            f"  labels (arrive later): churn rate {report.churn_rate:.1%}, "
            f"ROC-AUC {report.roc_auc:.3f}\n"
        )
    w1, w3 = reports["week1"], reports["week3"]
    print(
        "week 3 looks like week 1 on every input "
        f"(max PSI {w3.max_feature_psi:.3f} vs {w1.max_feature_psi:.3f}), yet ROC-AUC fell "
        f"from {w1.roc_auc:.3f} to {w3.roc_auc:.3f}: concept drift is invisible without labels."
    )


if __name__ == "__main__":
    main()
