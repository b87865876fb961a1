"""Load for the churn service: mostly single predictions, some batches, some reading back.

    uvx --from locust locust --locustfile locustfile.py --headless --host http://127.0.0.1:8000 \
        --users 20 --spawn-rate 5 --run-time 30s

The run fails (exit code 1) when more than 1% of requests fail or POST /predict's p95 is above
the 250 ms target, so CI can use it as a gate. Each simulated user sends its own X-Request-ID,
which makes a slow request easy to find in the service's JSON logs.
"""

from __future__ import annotations

import itertools
import random
import uuid

from locust import FastHttpUser, between, events, task

MAX_FAILURE_RATIO = 0.01
P95_TARGET_MS = 250
CONTRACTS = ("Month-to-month", "One year", "Two year")
PAYMENTS = (
    "Bank transfer (automatic)",
    "Credit card (automatic)",
    "Electronic check",
    "Mailed check",
)
NET_ANSWERS = ("No", "Yes")


def customer(rng: random.Random, number: int) -> dict:
    """A valid customer with internet and phone service and random habits."""
    tenure = rng.randint(0, 72)
    monthly = round(rng.uniform(20, 115), 2)
    return {
        "customer_id": f"load-{number}",
        "female": rng.randint(0, 1),
        "senior_citizen": rng.randint(0, 1),
        "partner": rng.randint(0, 1),
        "dependents": rng.randint(0, 1),
        "tenure": tenure,
        "phone_service": 1,
        "multiple_lines": rng.choice(NET_ANSWERS),
        "internet_service": rng.choice(("DSL", "Fiber optic")),
        "online_security": rng.choice(NET_ANSWERS),
        "online_backup": rng.choice(NET_ANSWERS),
        "device_protection": rng.choice(NET_ANSWERS),
        "tech_support": rng.choice(NET_ANSWERS),
        "streaming_tv": rng.choice(NET_ANSWERS),
        "streaming_movies": rng.choice(NET_ANSWERS),
        "contract": rng.choice(CONTRACTS),
        "paperless_billing": rng.randint(0, 1),
        "payment_method": rng.choice(PAYMENTS),
        "monthly_charges": monthly,
        "total_charges": round(monthly * tenure, 2) if tenure else None,
    }


class Caller(FastHttpUser):
    """A client of the API: predicts, sometimes in batches, and reads the newest records."""

    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.numbers = itertools.count()
        self.user_tag = uuid.uuid4().hex[:8]

    def headers(self) -> dict[str, str]:
        return {"X-Request-ID": f"locust-{self.user_tag}-{next(self.numbers)}"}

    @task(8)
    def predict(self) -> None:
        body = customer(self.rng, next(self.numbers))
        self.client.post("/predict", json=body, headers=self.headers(), name="POST /predict")

    @task(1)
    def predict_batch(self) -> None:
        body = {"customers": [customer(self.rng, next(self.numbers)) for _ in range(20)]}
        self.client.post(
            "/predict/batch", json=body, headers=self.headers(), name="POST /predict/batch"
        )

    @task(1)
    def newest(self) -> None:
        self.client.get("/predictions?limit=10", headers=self.headers(), name="GET /predictions")


@events.quitting.add_listener
def judge(environment, **_: object) -> None:
    """Turn the run's totals into the exit code."""
    total = environment.stats.total
    predict = environment.stats.get("POST /predict", "POST")
    problems = []
    if total.num_requests and total.fail_ratio > MAX_FAILURE_RATIO:
        problems.append(f"{total.fail_ratio:.1%} of requests failed")
    if predict.num_requests and predict.get_response_time_percentile(0.95) > P95_TARGET_MS:
        problems.append(f"POST /predict p95 {predict.get_response_time_percentile(0.95):.0f} ms")
    if problems:
        print("load test failed: " + "; ".join(problems))
        environment.process_exit_code = 1
