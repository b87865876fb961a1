"""REFERENCE ONLY - the real Kafka version of the stand-in worker in examples/async_scoring.py.

Not run by the course tests (there is no Kafka broker and no ``confluent-kafka`` package in the
course environment); the tests only check that it is valid Python and keeps the settings the
lecture relies on. It needs ``pip install confluent-kafka psycopg[binary] joblib pandas``.

Delivery semantics: auto-commit is off; a batch is scored, written to PostgreSQL with
``ON CONFLICT DO NOTHING`` (idempotent), the database transaction is committed, and only then
are the Kafka offsets committed. A crash between the two commits re-delivers the batch, and the
database ignores the duplicates: at-least-once delivery, exactly-once effect.
"""

from __future__ import annotations

import json
import os

import joblib
import pandas as pd
import psycopg
from confluent_kafka import Consumer, KafkaError, Producer

CONSUMER_CONFIG = {
    "bootstrap.servers": os.environ.get("KAFKA_BOOTSTRAP", "kafka:9092"),
    "group.id": "churn-scorers",
    "enable.auto.commit": False,  # we commit ourselves, after the results are stored
    "auto.offset.reset": "earliest",  # a brand-new group starts from the oldest record
    "partition.assignment.strategy": "cooperative-sticky",  # gentler rebalances
    "session.timeout.ms": 45_000,  # no heartbeat for this long -> member declared dead
    "max.poll.interval.ms": 300_000,  # a batch must be processed within this time
}
PRODUCER_CONFIG = {
    "bootstrap.servers": CONSUMER_CONFIG["bootstrap.servers"],
    "enable.idempotence": True,  # no duplicates from producer retries
    "acks": "all",  # wait for all in-sync replicas
}
UPSERT = """
    INSERT INTO churn_predictions (request_id, customer_id, churn_probability, model_version)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (request_id) DO NOTHING
"""


def main() -> None:
    """Consume churn.requests, score, store idempotently, publish to churn.scores, commit."""
    model = joblib.load(os.environ.get("MODEL_PATH", "model.joblib"))
    version = os.environ.get("MODEL_VERSION", "churn-logreg-1.0.0")
    consumer = Consumer(CONSUMER_CONFIG)
    producer = Producer(PRODUCER_CONFIG)
    consumer.subscribe(["churn.requests"])
    with psycopg.connect(os.environ["DATABASE_URL"]) as db:
        try:
            while True:
                messages = consumer.consume(num_messages=64, timeout=1.0)
                good = [m for m in messages if m.error() is None]
                for m in messages:
                    if m.error() and m.error().code() != KafkaError._PARTITION_EOF:
                        raise RuntimeError(m.error())
                if not good:
                    continue
                payloads = [json.loads(m.value()) for m in good]
                frame = pd.DataFrame([p["features"] for p in payloads])
                scores = model.predict_proba(frame)[:, 1]
                rows = [
                    (p["request_id"], m.key().decode(), float(s), version)
                    for p, m, s in zip(payloads, good, scores, strict=True)
                ]
                with db.cursor() as cur:
                    cur.executemany(UPSERT, rows)
                db.commit()  # 1) results are durable
                for request_id, customer_id, score, _ in rows:
                    producer.produce(
                        "churn.scores",
                        key=customer_id,
                        value=json.dumps({"request_id": request_id, "churn_probability": score}),
                    )
                producer.flush(10)
                consumer.commit(asynchronous=False)  # 2) only now move the group's offsets
        finally:
            consumer.close()  # leave the group cleanly -> immediate rebalance


if __name__ == "__main__":
    main()
