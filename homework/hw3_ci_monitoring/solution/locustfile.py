"""A smoke load test: CI runs it for 30 s against the real service (.github/workflows/ci.yml).

    uv run python -m app dev                     # in one terminal
    uvx --from locust==2.42.1 locust -f locustfile.py --headless --host http://127.0.0.1:8000 \\
        --users 20 --spawn-rate 10 --run-time 30s

Mostly single predictions, some batches, reads of stored records and health checks, every
request with its own X-Request-ID (so a slow one can be found in the logs). The run fails (exit
code 1) when more than 1% of requests fail or the p95 latency exceeds the 250 ms target.
"""

from __future__ import annotations

import csv
import itertools
import random
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

MAX_FAIL_RATIO = 0.01
MAX_P95_MS = 250
DATA = Path(__file__).resolve().parent / "data" / "train.csv"
INTEGER = {"female", "senior_citizen", "partner", "dependents", "tenure", "phone_service"}
INTEGER |= {"paperless_billing"}
NUMBER = {"monthly_charges", "total_charges"}


def load_customers(limit: int = 500) -> list[dict[str, Any]]:
    """Real customers from the training snapshot, as request bodies."""
    customers = []
    with DATA.open(newline="") as handle:
        for row in itertools.islice(csv.DictReader(handle), limit):
            customer: dict[str, Any] = {"customer_id": f"load-{row.pop('row_id')}"}
            row.pop("churn")
            for name, raw in row.items():
                if name in INTEGER:
                    customer[name] = int(raw)
                elif name in NUMBER:
                    customer[name] = float(raw) if raw else None
                else:
                    customer[name] = raw
            customers.append(customer)
    return customers


CUSTOMERS = load_customers()


class ChurnClient(HttpUser):
    """One caller of the churn API."""

    wait_time = between(0.05, 0.2)

    def headers(self) -> dict[str, str]:
        return {"X-Request-ID": f"locust-{uuid.uuid4().hex}"}

    @task(10)
    def predict(self) -> None:
        self.client.post("/predict", json=random.choice(CUSTOMERS), headers=self.headers())

    @task(2)
    def predict_batch(self) -> None:
        batch = {"customers": random.sample(CUSTOMERS, 20)}
        self.client.post("/predict/batch", json=batch, headers=self.headers())

    @task(2)
    def list_predictions(self) -> None:
        self.client.get("/predictions?limit=10", headers=self.headers())

    @task(1)
    def health(self) -> None:
        self.client.get("/health", headers=self.headers())


@events.quitting.add_listener
def enforce_targets(environment: Any, **_: Any) -> None:
    """Fail the run (exit code 1) above the error or latency budget."""
    total = environment.stats.total
    p95 = total.get_response_time_percentile(0.95) or 0
    if total.num_requests == 0:
        print("load test: no request was sent")
        environment.process_exit_code = 1
    elif total.fail_ratio > MAX_FAIL_RATIO:
        print(f"load test: {total.fail_ratio:.1%} of requests failed (budget {MAX_FAIL_RATIO:.0%})")
        environment.process_exit_code = 1
    elif p95 > MAX_P95_MS:
        print(f"load test: p95 {p95:.0f} ms is above the {MAX_P95_MS} ms target")
        environment.process_exit_code = 1
