"""The point-in-time join of ``point_in_time_join.py``, answered by Feast (a real feature store).

A local Feast repository: ``provider: local``, the file offline store over a Parquet file of
weekly ``tickets_30d`` snapshots, and a SQLite online store (the lecture's reference
configuration uses Redis online; the API is the same). Three questions, as a training job and a
service would ask them:

* ``get_historical_features`` with each label's *prediction* time: the point-in-time training set;
* the same with the day the query runs: the naive, leaking training set;
* ``materialize`` up to a serving day, then ``get_online_features``: what the service reads.

Feast pins libraries that clash with the course's (pandas < 3), so it runs from lecture 11's own
environment::

    uv sync --project lectures/11_data_flow/tools
    lectures/11_data_flow/tools/.venv/bin/python lectures/11_data_flow/examples/feast_features.py \\
        SNAPSHOTS.parquet LABELS.parquet OUT_DIR --serving-day 270

``SNAPSHOTS.parquet`` has ``customer_id, feature_ts, tickets_30d`` (days since the start) and
``LABELS.parquet`` has ``customer_id, prediction_ts, built_ts``; ``point_in_time_join.py``'s
``simulate_cohort`` makes both. Prints one JSON object: per question, ``{customer_id: tickets}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd

EPOCH = pd.Timestamp("2025-01-01", tz="UTC")  # day 0 of the simulated history
FEATURE = "customer_tickets:tickets_30d"


def as_timestamp(days: pd.Series) -> pd.Series:
    """Day numbers of the simulation as UTC timestamps (Feast joins on real time)."""
    return EPOCH + pd.to_timedelta(days, unit="D")


def make_store(snapshots: pd.DataFrame, repo: Path):  # -> feast.FeatureStore
    """Write the snapshots for the file offline store and register the feature view."""
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.repo_config import RepoConfig
    from feast.types import Int64

    repo.mkdir(parents=True, exist_ok=True)
    table = snapshots.assign(feature_ts=as_timestamp(snapshots["feature_ts"]))
    table.to_parquet(repo / "tickets.parquet", index=False)
    customer = Entity(name="customer", join_keys=["customer_id"], value_type=ValueType.STRING)
    tickets = FeatureView(
        name="customer_tickets",
        entities=[customer],
        ttl=timedelta(days=35),  # an older snapshot counts as missing
        schema=[Field(name="tickets_30d", dtype=Int64)],
        source=FileSource(path=str(repo / "tickets.parquet"), timestamp_field="feature_ts"),
        online=True,
    )
    config = RepoConfig(
        project="churn",
        provider="local",
        registry=str(repo / "registry.db"),
        offline_store={"type": "file"},
        online_store={"type": "sqlite", "path": str(repo / "online.db")},
        entity_key_serialization_version=3,
        repo_path=str(repo),
    )
    store = FeatureStore(config=config)
    store.apply([customer, tickets])
    return store


def historical(store, labels: pd.DataFrame, ts_column: str) -> dict[str, int]:
    """Point-in-time join as of ``labels[ts_column]``: the offline API a training job calls."""
    entity_df = pd.DataFrame(
        {
            "customer_id": labels["customer_id"],
            "event_timestamp": as_timestamp(labels[ts_column]),
        }
    )
    frame = store.get_historical_features(entity_df=entity_df, features=[FEATURE]).to_df()
    return {row.customer_id: int(row.tickets_30d) for row in frame.itertuples()}


def online(store, customers: list[str], serving_day: int) -> dict[str, int]:
    """Load the freshest values up to ``serving_day`` into the online store and read them back."""
    store.materialize(
        start_date=EPOCH.to_pydatetime(),
        end_date=(EPOCH + pd.Timedelta(days=serving_day)).to_pydatetime(),
    )
    rows = [{"customer_id": c} for c in customers]
    answer = store.get_online_features(features=[FEATURE], entity_rows=rows).to_dict()
    return dict(zip(answer["customer_id"], answer["tickets_30d"], strict=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Point-in-time and online features with Feast.")
    parser.add_argument("snapshots", type=Path)
    parser.add_argument("labels", type=Path)
    parser.add_argument("repo", type=Path, help="folder for the Feast repository (created)")
    parser.add_argument("--serving-day", type=int, default=270)
    args = parser.parse_args(argv)
    for path in (args.snapshots, args.labels):
        if not path.is_file():
            sys.exit(f"feast_features.py: no such file: {path}")
    labels = pd.read_parquet(args.labels)
    store = make_store(pd.read_parquet(args.snapshots), args.repo)
    result = {
        "point_in_time": historical(store, labels, "prediction_ts"),
        "naive": historical(store, labels, "built_ts"),
        "online": online(store, list(labels["customer_id"]), args.serving_day),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
