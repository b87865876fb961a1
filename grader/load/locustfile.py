"""The grader's stress test: a step load without think time, posting hold-out customers to ``/predict``.

A ``LoadTestShape`` holds each step's number of users for ``GRADER_LOAD_STEP_SECONDS``; every user
sends its next request as soon as the last one is answered. Every request is recorded (when it
ended, how long it took, whether it succeeded) and written to ``GRADER_LOAD_SAMPLES`` when locust
quits, so the grader can cut the run into steps itself. Configured by :mod:`grader.load.run`.
"""

import json
import os
import random
import time

from locust import FastHttpUser, LoadTestShape, events, task

with open(os.environ["GRADER_LOAD_CUSTOMERS"]) as _handle:
    CUSTOMERS = json.load(_handle)
STEPS = [int(u) for u in os.environ["GRADER_LOAD_STEPS"].split(",")]
STEP_SECONDS = float(os.environ["GRADER_LOAD_STEP_SECONDS"])
TIMEOUT_S = float(os.environ.get("GRADER_LOAD_TIMEOUT", "5"))
# (seconds since start, response ms, ok, HTTP status: 0 when the request got no answer)
SAMPLES: list[tuple[float, float, int, int]] = []
START = [0.0]


@events.test_start.add_listener
def _started(**_kwargs: object) -> None:
    START[0] = time.monotonic()


@events.request.add_listener
def _record(
    response_time: float, exception: object = None, response: object = None, **_kwargs: object
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    SAMPLES.append(
        (round(time.monotonic() - START[0], 4), round(response_time, 2), int(not exception), status)
    )


@events.quitting.add_listener
def _write(**_kwargs: object) -> None:
    with open(os.environ["GRADER_LOAD_SAMPLES"], "w") as handle:
        json.dump(SAMPLES, handle)


class StepLoad(LoadTestShape):
    """``STEPS[i]`` users during step ``i``, all started at once; then stop."""

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // STEP_SECONDS)
        if step >= len(STEPS):
            return None
        return STEPS[step], float(max(STEPS))


class ChurnClient(FastHttpUser):
    """One client without think time: the next request as soon as the last one is answered."""

    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    def on_start(self) -> None:
        """Each user gets its own deterministic stream of customers."""
        self.rng = random.Random(id(self) % 1000)

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
