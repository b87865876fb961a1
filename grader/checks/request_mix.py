"""The grader's own traffic for the observability checks: requests it knows everything about.

The metrics and log checks send a small, known mix of requests and then compare what the service
reports (counters, histograms, log lines) with what was sent. A planned request carries the label
values the contract says it must be counted under (its route *template*, never the raw path); its
status is the one the service really answered, so counting is judged apart from answering.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

# Contract paths the mix uses: each is checked against the contract's endpoint list on first use.
PREDICT = "/predict"
BATCH = "/predict/batch"
RECORD = "/predictions/{id}"
HEALTH = "/health"
MODEL = "/model"


@dataclass(frozen=True)
class Planned:
    """One request the grader will send, and the route label it must be counted under."""

    method: str
    path: str
    route: str
    body: Any = None  # a JSON document, or None for no body
    request_id: str | None = None  # sent as X-Request-ID when not None ("" sends an empty one)

    def describe(self) -> str:
        """``METHOD path`` as a student would reproduce it."""
        return f"{self.method} {self.path}"


@dataclass
class Sent:
    """A planned request after it was sent: the answer, or why there was none."""

    planned: Planned
    status: int | None = None
    problem: str | None = None  # no answer: timeout, dropped connection, not sent
    seconds: float = 0.0  # the client's wall time for the request, answer included
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    document: Any = None  # the answer's JSON, if it was JSON

    @property
    def answered(self) -> bool:
        """The service answered (any status)."""
        return self.status is not None

    @property
    def key(self) -> tuple[str, str, str]:
        """``(method, route, status)``: the label values of the request counter it must move."""
        return (self.planned.method, self.planned.route, str(self.status))


def contract_paths(contract: dict[str, Any]) -> dict[str, set[str]]:
    """The contract's path templates with their methods."""
    paths: dict[str, set[str]] = {}
    for endpoint in contract["endpoints"]:
        paths.setdefault(endpoint["path"], set()).add(endpoint["method"].upper())
    return paths


def require_paths(contract: dict[str, Any], templates: Iterable[str]) -> None:
    """Fail loudly (a grader error, not a student's fault) if the mix uses a path the contract lacks."""
    known = contract_paths(contract)
    if missing := [t for t in templates if t not in known]:
        raise KeyError(f"the contract has no endpoint {', '.join(missing)}")


def wrong_method(contract: dict[str, Any], template: str) -> str:
    """A method the contract does not serve on ``template`` (answered 405 by a router)."""
    served = contract_paths(contract)[template]
    return next(m for m in ("GET", "DELETE", "PUT", "PATCH") if m not in served)


def invalid_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """``customer`` with one field out of range: a request the contract answers with 422."""
    return {**customer, "tenure": -1}


def unknown_path(rng: random.Random, prefix: str) -> tuple[str, str]:
    """``(path, token)``: a path no service routes, made unique by a random token."""
    token = f"{prefix}{rng.randrange(16**10):010x}"
    return f"/{token}/{rng.choice(('admin', 'x', 'wp-login.php'))}", token


def unknown_record_id(rng: random.Random) -> int:
    """An id far beyond any record the grading creates (12 digits): a 404 of ``/predictions/{id}``."""
    return rng.randrange(10**11, 10**12)


def request_id_header(contract: dict[str, Any]) -> str:
    """The request-id header of the contract (its one response header)."""
    (name,) = contract["response_headers"]
    return name


class MixClient:
    """Sends planned requests; after a request timed out, the rest of the mix is not sent."""

    def __init__(self, client: httpx.Client, request_id_header: str) -> None:
        self.client = client
        self.request_id_header = request_id_header
        self.stalled = False

    def send(self, planned: Planned) -> Sent:
        """Send one request and record its answer."""
        sent = Sent(planned)
        if self.stalled:
            sent.problem = "not sent (an earlier request got no answer within the timeout)"
            return sent
        headers: dict[str, str] = {}
        content = None
        if planned.body is not None:
            content = json.dumps(planned.body).encode()
            headers["content-type"] = "application/json"
        if planned.request_id is not None:
            headers[self.request_id_header] = planned.request_id
        started = time.perf_counter()
        try:
            response = self.client.request(
                planned.method, planned.path, content=content, headers=headers
            )
        except httpx.TimeoutException:
            self.stalled = True
            sent.problem = "no answer within the request timeout"
            return sent
        except httpx.HTTPError as exc:
            sent.problem = f"connection problem ({type(exc).__name__})"
            return sent
        sent.seconds = time.perf_counter() - started
        sent.status = response.status_code
        sent.headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            sent.document = response.json()
        except ValueError:
            sent.document = None
        return sent

    def send_all(self, plan: Iterable[Planned]) -> list[Sent]:
        """Send every planned request in order."""
        return [self.send(p) for p in plan]


def probabilities(sent: Sent) -> list[float]:
    """The churn probabilities a successful /predict or /predict/batch answer returned."""
    if sent.status != 200 or not isinstance(sent.document, dict):
        return []
    items = sent.document.get("predictions", [sent.document])
    if not isinstance(items, list):
        return []
    found = [i.get("churn_probability") for i in items if isinstance(i, dict)]
    return [float(p) for p in found if isinstance(p, int | float) and not isinstance(p, bool)]


def record_id(sent: Sent) -> int | None:
    """The stored record's id in a successful /predict answer."""
    if sent.status == 200 and isinstance(sent.document, dict):
        value = sent.document.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def first_problem(sent: list[Sent]) -> str | None:
    """``METHOD path: problem`` of the first request that got no answer, if any."""
    for s in sent:
        if s.problem:
            return f"{s.planned.describe()}: {s.problem}"
    return None


class ObsProbe:
    """What the observability checks share: the mix client, the contract, the suite's customers,
    the seed (the commit: a regrade sends the same requests) and the service's captured output."""

    def __init__(
        self,
        client: httpx.Client,
        contract: dict[str, Any],
        cases: dict[str, Any],
        settings: dict[str, Any],
        output: Any = None,
        seed: str = "",
    ) -> None:
        self.mix = MixClient(client, request_id_header(contract))
        self.contract = contract
        self.cases = cases
        self.settings = settings
        self.output = output  # grader.sandbox.output.CappedOutput: position() and since(offset)
        self.seed = seed
        require_paths(contract, (PREDICT, BATCH, RECORD, HEALTH, MODEL))

    def begin_check(self) -> None:
        """A new check sends its requests even if an earlier check's request timed out."""
        self.mix.stalled = False

    def rng(self, check: str) -> random.Random:
        """A random source for one check, the same for the same commit."""
        return random.Random(f"{self.seed}:{check}")

    def customers(self, rng: random.Random, count: int) -> list[dict[str, Any]]:
        """``count`` valid customers of the suite (repeats if it has fewer)."""
        pool = self.cases["valid_customers"]
        return [dict(pool[rng.randrange(len(pool))]) for _ in range(count)]
