"""The grader's load profile: paced users posting hold-out customers to ``/predict``.

Configured by environment variables set by :mod:`grader.load.run` (customers file, pacing, timeouts).
"""

import json
import os
import random

from locust import FastHttpUser, constant_pacing, task

with open(os.environ["GRADER_LOAD_CUSTOMERS"]) as _handle:
    CUSTOMERS = json.load(_handle)
PACING_S = float(os.environ.get("GRADER_LOAD_PACING", "0.5"))
TIMEOUT_S = float(os.environ.get("GRADER_LOAD_TIMEOUT", "5"))


class ChurnClient(FastHttpUser):
    """One paced client: a request every ``PACING_S`` seconds (less often if responses are slower)."""

    wait_time = constant_pacing(PACING_S)
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    def on_start(self) -> None:
        """Each user gets its own deterministic stream of customers."""
        self.rng = random.Random(hash(self) % 1000)

    @task
    def predict(self) -> None:
        """POST one customer; anything but a 200 with a probability counts as a failure."""
        customer = self.rng.choice(CUSTOMERS)
        with self.client.post(
            "/predict", json=customer, catch_response=True, name="/predict"
        ) as response:
            try:
                ok = (
                    response.status_code == 200
                    and 0.0 <= response.json()["churn_probability"] <= 1.0
                )
            except Exception:  # any malformed answer is a failed request
                ok = False
            if ok:
                response.success()
            else:
                response.failure(f"status {response.status_code}")
