"""Smoke load for the churn service: what CI's ``load`` job runs for 30 s (.github/workflows/ci.yml).

    DATABASE_URL=postgresql+psycopg://... uv run python -m app.serve --port 8000   # one terminal
    uvx --from locust==2.47.0 locust -f locustfile.py --headless --host http://127.0.0.1:8000 \\
        --users 16 --spawn-rate 8 --run-time 30s

Each simulated client sends, without think time, mostly single predictions, now and then a
small batch, a page of stored predictions or a health check. Customers are random but valid
(every field within the contract's ranges). Each request carries its own ``X-Request-ID`` so a
slow one can be found in the service's JSON logs. The run exits 1 when more than 1% of the
requests failed or the p95 latency is above the 250 ms target.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from locust import FastHttpUser, events, task

FAILURE_BUDGET = 0.01
P95_TARGET_MS = 250

SERVICES = ("No", "Yes", "No internet service")
PAYMENTS = (
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
)


def random_customer(rng: random.Random) -> dict[str, Any]:
    """A valid customer record with plausible, varied values."""
    tenure = rng.randint(0, 72)
    monthly = round(rng.uniform(18.0, 118.0), 2)
    internet = rng.choice(("DSL", "Fiber optic", "No"))
    phone = rng.randint(0, 1)

    def service() -> str:
        return "No internet service" if internet == "No" else rng.choice(SERVICES[:2])

    return {
        "customer_id": f"load-{rng.randrange(10**9)}",
        "female": rng.randint(0, 1),
        "senior_citizen": int(rng.random() < 0.16),
        "partner": rng.randint(0, 1),
        "dependents": rng.randint(0, 1),
        "tenure": tenure,
        "phone_service": phone,
        "multiple_lines": rng.choice(SERVICES[:2]) if phone else "No phone service",
        "internet_service": internet,
        "online_security": service(),
        "online_backup": service(),
        "device_protection": service(),
        "tech_support": service(),
        "streaming_tv": service(),
        "streaming_movies": service(),
        "contract": rng.choice(("Month-to-month", "One year", "Two year")),
        "paperless_billing": rng.randint(0, 1),
        "payment_method": rng.choice(PAYMENTS),
        "monthly_charges": monthly,
        "total_charges": None if tenure == 0 else round(monthly * tenure, 2),
    }


class ChurnClient(FastHttpUser):
    """One client of the service, sending requests back to back."""

    def on_start(self) -> None:
        self.rng = random.Random()

    def _headers(self) -> dict[str, str]:
        return {"X-Request-ID": f"locust-{uuid.uuid4().hex}"}

    @task(12)
    def predict_one(self) -> None:
        self.client.post("/predict", json=random_customer(self.rng), headers=self._headers())

    @task(2)
    def predict_a_batch(self) -> None:
        batch = {"customers": [random_customer(self.rng) for _ in range(self.rng.randint(2, 20))]}
        self.client.post("/predict/batch", json=batch, headers=self._headers())

    @task(1)
    def read_newest(self) -> None:
        self.client.get("/predictions?limit=20", headers=self._headers(), name="/predictions")

    @task(1)
    def health(self) -> None:
        self.client.get("/health", headers=self._headers())


@events.quitting.add_listener
def judge(environment: Any, **_: Any) -> None:
    """Fail the run (exit code 1) above the failure budget or the latency target."""
    total = environment.stats.total
    p95 = total.get_response_time_percentile(0.95) or 0
    problems = []
    if total.fail_ratio > FAILURE_BUDGET:
        problems.append(f"{total.fail_ratio:.2%} of requests failed (budget {FAILURE_BUDGET:.0%})")
    if p95 > P95_TARGET_MS:
        problems.append(f"p95 latency {p95:.0f} ms (target {P95_TARGET_MS} ms)")
    for problem in problems:
        print(f"smoke load failed: {problem}")
    environment.process_exit_code = 1 if problems else 0
