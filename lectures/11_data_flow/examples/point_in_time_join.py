"""Point-in-time correct training data (what a feature store's offline API does) vs a naive join.

A feature store keeps every feature value with the timestamp at which it became known. To build
training data it answers "what did we know about this customer *at prediction time*?" — an
as-of (point-in-time) join. A naive join takes whatever value the feature has when the data
scientist runs the query, which can include information from *after* the label was decided.

Setting (synthetic ticket history on top of real customers from ``data/train.csv``):

* a weekly feature snapshot ``tickets_30d`` (support tickets in the last 30 days) per customer;
* churners complain a bit more in the two months before leaving, and file a burst of
  cancellation tickets on the day they leave;
* cohort A gets predictions on day 180 and the label "churned during days 181-210";
  the data scientist builds the training set on day 210;
* cohort B is live traffic: scored on day 270 with the *online* features (as of day 270), its
  labels are known on day 300.

The naive training set sees the cancellation burst, the model learns to rely on it, the offline
ROC-AUC looks wonderful, and it collapses online. The point-in-time set gives an honest offline
estimate that matches production.

Run it with ``uv run python lectures/11_data_flow/examples/point_in_time_join.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATA_PATH = Path(__file__).resolve().parents[3] / "data" / "train.csv"
DAYS = 330
SNAPSHOT_EVERY = 7
LABEL_HORIZON = 30
MODEL_FEATURES = ["tickets_30d", "monthly_charges", "tenure", "month_to_month"]


def simulate_cohort(
    customers: pd.DataFrame, prediction_day: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (labels, feature snapshots) for one cohort.

    ``labels`` has one row per customer: ``customer_id, prediction_ts, churned``.
    ``snapshots`` has one row per customer and week: ``customer_id, feature_ts, tickets_30d``.
    """
    n = len(customers)
    churned = (customers["churn"] == "Yes").to_numpy()
    churn_day = np.where(
        churned, prediction_day + rng.integers(1, LABEL_HORIZON + 1, size=n), DAYS + 1
    )
    days = np.arange(DAYS)
    rate = np.full((n, DAYS), 0.02)  # about 0.6 tickets a month for everyone
    before = (days[None, :] >= churn_day[:, None] - 60) & (days[None, :] < churn_day[:, None])
    rate[before] = 0.04  # unhappy customers complain a little more...
    tickets = rng.poisson(rate)
    burst = rng.poisson(3.0, size=n) + 1  # ...and call several times to cancel
    rows = np.flatnonzero(churn_day < DAYS)
    tickets[rows, churn_day[rows]] += burst[rows]
    cumulative = np.cumsum(tickets, axis=1)

    snapshot_days = np.arange(SNAPSHOT_EVERY, DAYS, SNAPSHOT_EVERY)
    window_start = np.clip(snapshot_days - 30, 0, None)
    in_window = cumulative[:, snapshot_days] - np.where(
        window_start > 0, cumulative[:, window_start], 0
    )
    ids = customers["customer_id"].to_numpy()
    snapshots = pd.DataFrame(
        {
            "customer_id": np.repeat(ids, len(snapshot_days)),
            "feature_ts": np.tile(snapshot_days, n),
            "tickets_30d": in_window.ravel(),
        }
    )
    labels = pd.DataFrame(
        {"customer_id": ids, "prediction_ts": prediction_day, "churned": churned.astype(int)}
    )
    return labels, snapshots


def as_of_join(labels: pd.DataFrame, snapshots: pd.DataFrame, ts_column: str) -> pd.DataFrame:
    """For each label row, take the latest snapshot with ``feature_ts <= labels[ts_column]``."""
    left = labels.sort_values(ts_column)
    right = snapshots.sort_values("feature_ts")
    return pd.merge_asof(
        left,
        right,
        left_on=ts_column,
        right_on="feature_ts",
        by="customer_id",
        direction="backward",
    )


def add_static(frame: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Attach slowly changing attributes from the customer table."""
    static = customers[["customer_id", "monthly_charges", "tenure", "contract"]]
    out = frame.merge(static, on="customer_id", how="left")
    out["month_to_month"] = (out["contract"] == "Month-to-month").astype(int)
    return out


@dataclass
class JoinResult:
    """Offline and online quality of a model trained on one kind of training set."""

    name: str
    offline_auc: float
    online_auc: float
    churner_tickets_train: float
    leaked_rows: int


def run(seed: int = 5) -> list[JoinResult]:
    """Build both training sets for cohort A, train, and score cohort B as production would."""
    rng = np.random.default_rng(seed)
    df = pd.read_csv(DATA_PATH)
    df["customer_id"] = "cust-" + df["row_id"].astype(str)
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cohort_a, cohort_b = shuffled.iloc[:2000], shuffled.iloc[2000:3500]

    labels_a, snaps_a = simulate_cohort(cohort_a, prediction_day=180, rng=rng)
    labels_b, snaps_b = simulate_cohort(cohort_b, prediction_day=270, rng=rng)

    # Production: the online store serves the freshest value at scoring time (day 270).
    online = add_static(as_of_join(labels_b, snaps_b, "prediction_ts"), cohort_b)

    labels_a["built_ts"] = 180 + LABEL_HORIZON  # the day the training query runs
    candidates = {
        "naive (features as of query day)": as_of_join(labels_a, snaps_a, "built_ts"),
        "point-in-time (as of prediction)": as_of_join(labels_a, snaps_a, "prediction_ts"),
    }
    results = []
    for name, joined in candidates.items():
        train_set = add_static(joined, cohort_a)
        leaked = int((train_set["feature_ts"] > train_set["prediction_ts"]).sum())
        x_tr, x_te, y_tr, y_te = train_test_split(
            train_set[MODEL_FEATURES],
            train_set["churned"],
            test_size=0.3,
            random_state=seed,
            stratify=train_set["churned"],
        )
        model = make_pipeline(StandardScaler(), LogisticRegression())
        model.fit(x_tr, y_tr)
        offline = roc_auc_score(y_te, model.predict_proba(x_te)[:, 1])
        live = roc_auc_score(online["churned"], model.predict_proba(online[MODEL_FEATURES])[:, 1])
        churner_tickets = float(train_set.loc[train_set["churned"] == 1, "tickets_30d"].mean())
        results.append(JoinResult(name, float(offline), float(live), churner_tickets, leaked))
    return results


def main() -> None:
    """Compare the two ways of building training data."""
    results = run()
    print(
        f"{'training set':<36}{'offline AUC':>12}{'online AUC':>12}"
        f"{'churner tickets':>17}{'rows from future':>18}"
    )
    for r in results:
        print(
            f"{r.name:<36}{r.offline_auc:>12.3f}{r.online_auc:>12.3f}"
            f"{r.churner_tickets_train:>17.2f}{r.leaked_rows:>18}"
        )
    naive, pit = results
    print(
        f"\nnaive join: offline promises {naive.offline_auc:.3f}, production delivers "
        f"{naive.online_auc:.3f} (training-serving skew through leakage)."
    )
    print(
        f"point-in-time join: offline {pit.offline_auc:.3f} vs online {pit.online_auc:.3f} "
        "- an honest estimate."
    )


if __name__ == "__main__":
    main()
