"""Feast definitions for the churn features, as a feature repository would hold them.

A repository file for ``feast apply`` next to ``feature_store.yaml`` (Redis online store). The
runnable version of the same feature view, with a SQLite online store and the three queries, is
``examples/feast_features.py``, which the lecture's tests run with Feast from
``lectures/11_data_flow/tools/``; the same point-in-time logic in pandas is
``examples/point_in_time_join.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource
from feast.types import Float32, Int64

customer = Entity(name="customer", join_keys=["customer_id"])

ticket_source = FileSource(
    path="data/customer_tickets.parquet",
    timestamp_field="feature_ts",  # when the value became known
    created_timestamp_column="created_ts",  # tie-breaker for late corrections
)

customer_tickets = FeatureView(
    name="customer_tickets",
    entities=[customer],
    ttl=timedelta(days=35),  # older values count as missing
    schema=[
        Field(name="tickets_30d", dtype=Int64),
        Field(name="monthly_charges", dtype=Float32),
    ],
    source=ticket_source,
    online=True,
)


def training_frame(store: FeatureStore, labels: pd.DataFrame) -> pd.DataFrame:
    """Point-in-time join: ``labels`` has customer_id, event_timestamp and the label column."""
    return store.get_historical_features(
        entity_df=labels,
        features=["customer_tickets:tickets_30d", "customer_tickets:monthly_charges"],
    ).to_df()


def online_features(store: FeatureStore, customer_id: str) -> dict[str, list]:
    """Serving-time lookup of the freshest values (filled by ``feast materialize``)."""
    return store.get_online_features(
        features=["customer_tickets:tickets_30d", "customer_tickets:monthly_charges"],
        entity_rows=[{"customer_id": customer_id}],
    ).to_dict()
