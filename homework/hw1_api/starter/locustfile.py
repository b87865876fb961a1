"""The grader's stress test, to run against your own service: a step load without think time.

Run your service, then (locust is not a dependency of your project: uvx fetches it):

    uvx locust -f locustfile.py --headless --host http://127.0.0.1:8000 --run-time 20s

Users grow 1, 2, 4, 8, 16, four seconds each; every user sends its next request as soon as the last
one is answered. Watch where the requests per second stop growing and the 95th percentile climbs:
that knee is your service's capacity. The grader counts a step while at most 1 % of requests fail
and p95 stays within 250 ms, and compares your capacity with its calibration service's.
"""

import csv
import random
from pathlib import Path

from locust import FastHttpUser, LoadTestShape, task

STEPS = (1, 2, 4, 8, 16)
STEP_SECONDS = 4.0
INTS = ("female", "senior_citizen", "partner", "dependents", "tenure", "phone_service")
INTS += ("paperless_billing",)


def _customers() -> list[dict]:
    """A few hundred customers from the training data, as the API expects them."""
    rows = []
    with (Path(__file__).parent / "data" / "train.csv").open(newline="") as handle:
        for row in list(csv.DictReader(handle))[:300]:
            row.pop("row_id", None)
            row.pop("churn", None)
            for key in INTS:
                row[key] = int(row[key])
            row["monthly_charges"] = float(row["monthly_charges"])
            row["total_charges"] = float(row["total_charges"]) if row["total_charges"] else None
            rows.append(row)
    return rows


CUSTOMERS = _customers()


class StepLoad(LoadTestShape):
    """STEPS[i] users during step i, then stop."""

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // STEP_SECONDS)
        return (STEPS[step], float(max(STEPS))) if step < len(STEPS) else None


class Client(FastHttpUser):
    """No think time: the next request as soon as the last one is answered."""

    @task
    def predict(self) -> None:
        self.client.post("/predict", json=random.choice(CUSTOMERS))
