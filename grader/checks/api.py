"""Hidden HTTP checks of the churn-model API (hw1 contract; later homework extend the service).

Every function takes an :class:`ApiProbe` and returns a :class:`Verdict`. Feedback names the request
and what was expected, so a student can reproduce it; it never contains timings, ports or paths, so
re-grading the same commit gives the same text.

Scoring is strict per case: a case (one customer, one invalid input, one hostile request) fails on
any violation of the contract in its response, and partial credit exists only across cases.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema

from grader.checks.payloads import build_body
from grader.contracts import schema_for

MAX_LISTED = 8


@dataclass
class Verdict:
    """A check's outcome: fraction of its points and the feedback."""

    fraction: float
    feedback: str

    @property
    def passed(self) -> bool:
        """All points earned."""
        return self.fraction >= 1.0


def _verdict(
    failed_cases: list[str], total: int, ok_text: str, failed: int | None = None
) -> Verdict:
    """The share of cases passed; ``failed_cases`` describes the failed cases, one entry each
    unless ``failed`` gives their number (one entry may stand for many, e.g. a whole batch)."""
    if not failed_cases:
        return Verdict(1.0, ok_text)
    failed = len(failed_cases) if failed is None else failed
    listed = failed_cases[:MAX_LISTED]
    more = f"\n(+{len(failed_cases) - MAX_LISTED} more)" if len(failed_cases) > MAX_LISTED else ""
    return Verdict(
        max(0.0, 1 - failed / max(total, 1)),
        f"{failed} of {total} cases failed:\n" + "\n".join(f"- {p}" for p in listed) + more,
    )


def _one_case(problems: list[str]) -> str:
    """Several violations in one response: one failed case."""
    return problems[0] if len(problems) == 1 else "; ".join(problems[:3])


class ApiProbe:
    """An HTTP client for one service plus the contract's validators and the suite's cases."""

    def __init__(
        self,
        client: httpx.Client,
        contract: dict[str, Any],
        cases: dict[str, Any],
        holdout: list[dict[str, Any]],
        thresholds: dict[str, Any],
        seed: str = "",
    ) -> None:
        self.client = client
        self.seed = seed  # the commit SHA: customers generated for it are the same on a regrade
        self.contract = contract
        self.cases = cases
        self.holdout = holdout
        self.thresholds = thresholds
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}
        self._stalled = False  # a request of the current check timed out

    def begin_check(self) -> None:
        """Start a check: after a timeout, the rest of a check's requests are not sent.

        A hanging service would otherwise cost one full request timeout per request; one
        timeout is enough to fail the check, and every request not sent counts as a problem.
        """
        self._stalled = False

    def problems(self, name: str, document: Any) -> list[str]:
        """Schema violations of ``document`` against ``$defs[name]`` (short messages)."""
        if name not in self._validators:
            self._validators[name] = jsonschema.Draft202012Validator(
                schema_for(self.contract, name)
            )
        errors = sorted(
            self._validators[name].iter_errors(document), key=lambda e: list(e.absolute_path)
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:160]}"
            for e in errors[:5]
        ]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> httpx.Response | str:
        """A response, or a string describing why there was none (timeout, dropped connection)."""
        if self._stalled:
            return (
                "was not sent (an earlier request of this check got no response within the timeout)"
            )
        headers = {"content-type": content_type} if body is not None else {}
        try:
            return self.client.request(method, path, content=body, headers=headers)
        except httpx.TimeoutException:
            self._stalled = True
            return "no response within the request timeout"
        except httpx.HTTPError as exc:
            return f"connection problem ({type(exc).__name__})"

    def post_json(self, path: str, document: Any) -> httpx.Response | str:
        """POST a JSON document."""
        return self.request("POST", path, json.dumps(document).encode())

    @property
    def base_customer(self) -> dict[str, Any]:
        """A valid customer without an id."""
        customer = dict(self.cases["valid_customers"][0])
        customer.pop("customer_id", None)
        return customer


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _describe(response: httpx.Response | str) -> str:
    """``answered <status> <body snippet>``, or what happened instead of an answer."""
    if isinstance(response, str):
        return f"got no answer: {response}"
    snippet = response.text[:200].replace("\n", " ")
    return f"answered {response.status_code} {snippet}"


def check_openapi(probe: ApiProbe) -> Verdict:
    """``/openapi.json`` is OpenAPI 3 and lists every contract route; ``/docs`` serves a page."""
    problems: list[str] = []
    response = probe.request("GET", "/openapi.json")
    doc = (
        _json(response)
        if isinstance(response, httpx.Response) and response.status_code == 200
        else None
    )
    if not isinstance(doc, dict):
        return Verdict(
            0.0,
            f"GET /openapi.json must return an OpenAPI 3 JSON document; {_describe(response)}",
        )
    if shape := probe.problems("OpenAPIDocument", doc):
        problems.append(f"/openapi.json {_one_case(shape)}")
    paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
    for ep in probe.contract["endpoints"]:
        if ep["path"] == "/openapi.json":
            continue
        methods = paths.get(ep["path"], {})
        if not isinstance(methods, dict) or ep["method"].lower() not in methods:
            problems.append(f"/openapi.json does not document {ep['method']} {ep['path']}")
    docs = probe.request("GET", "/docs")
    if isinstance(docs, str) or docs.status_code != 200:
        problems.append(f"GET /docs should serve the Swagger UI page; {_describe(docs)}")
    routes = sum(ep["path"] != "/openapi.json" for ep in probe.contract["endpoints"])
    return _verdict(
        problems, routes + 2, "OpenAPI document lists every contract route; /docs is served"
    )


def check_model_info(probe: ApiProbe) -> Verdict:
    """``GET /model`` conforms and describes the contract's features."""
    response = probe.request("GET", "/model")
    if isinstance(response, str) or response.status_code != 200:
        return Verdict(0.0, f"GET /model must answer 200; {_describe(response)}")
    doc = _json(response)
    problems = probe.problems("ModelInfo", doc)
    if not problems:
        names = {f["name"] for f in doc["features"]}
        expected = set(probe.contract["$defs"]["Customer"]["required"])
        if missing := sorted(expected - names):
            problems.append(f"features does not describe: {', '.join(missing)}")
    return _verdict(
        [_one_case(problems)] if problems else [], 1, "model info conforms to the contract"
    )


def _prediction_problems(
    probe: ApiProbe, customer: dict[str, Any], pred: Any, version: str | None
) -> list[str]:
    label = customer.get("customer_id", "a customer without customer_id")
    found = probe.problems("Prediction", pred)
    if found:
        return [f"{label}: {p}" for p in found]
    problems = []
    threshold = probe.contract["limits"]["probability_threshold"]
    if pred["churn"] != (pred["churn_probability"] >= threshold):
        problems.append(
            f"{label}: churn={pred['churn']} but churn_probability={pred['churn_probability']:.4f} "
            f"(churn must be true exactly when the probability is >= {threshold})"
        )
    if pred["customer_id"] != customer.get("customer_id"):
        problems.append(
            f"{label}: customer_id must be echoed back (null when absent); got {pred['customer_id']!r}"
        )
    if version is not None and pred["model_version"] != version:
        problems.append(
            f"{label}: model_version {pred['model_version']!r} differs from GET /model's {version!r}"
        )
    return problems


def _model_version(probe: ApiProbe) -> str | None:
    response = probe.request("GET", "/model")
    doc = _json(response) if isinstance(response, httpx.Response) else None
    return (
        doc.get("version")
        if isinstance(doc, dict) and isinstance(doc.get("version"), str)
        else None
    )


def check_predict(probe: ApiProbe) -> Verdict:
    """Every valid hidden customer gets a 200 with a conforming, self-consistent prediction."""
    version = _model_version(probe)
    problems: list[str] = []
    customers = probe.cases["valid_customers"]
    for customer in customers:
        response = probe.post_json("/predict", customer)
        if isinstance(response, str) or response.status_code != 200:
            problems.append(
                f"POST /predict for {customer.get('customer_id', 'a customer without id')} "
                f"(tenure={customer['tenure']}, total_charges={customer['total_charges']}) "
                f"{_describe(response)}; expected 200"
            )
            continue
        found = _prediction_problems(probe, customer, _json(response), version)
        if found:
            problems.append(_one_case(found))
    return _verdict(
        problems, len(customers), f"{len(customers)} valid customers predicted correctly"
    )


def check_batch(probe: ApiProbe) -> Verdict:
    """A batch returns one prediction per customer, in order; the limit itself is accepted."""
    version = _model_version(probe)
    customers = probe.cases["valid_customers"]
    response = probe.post_json("/predict/batch", {"customers": customers})
    if isinstance(response, str) or response.status_code != 200:
        return Verdict(
            0.0,
            f"POST /predict/batch with {len(customers)} valid customers answered "
            f"{_describe(response)}; expected 200",
        )
    doc = _json(response)
    problems: list[str] = []
    envelope = probe.problems("BatchResponse", doc)
    if not envelope and len(doc["predictions"]) != len(customers):
        envelope = [f"sent {len(customers)} customers, got {len(doc['predictions'])} predictions"]
    if envelope:
        # The response violates the contract: no customer of the batch was answered correctly.
        problems.append(
            f"the batch response does not conform ({_one_case(envelope)}): all {len(customers)} "
            "customers of the batch count as failed"
        )
        failed_customers = len(customers)
    else:
        for customer, pred in zip(customers, doc["predictions"], strict=True):
            found = _prediction_problems(probe, customer, pred, version)
            if found:
                problems.append(_one_case(found))
        failed_customers = len(problems)
    limit = probe.contract["limits"]["max_batch_size"]
    full = probe.post_json("/predict/batch", {"customers": [probe.base_customer] * limit})
    limit_failed = isinstance(full, str) or full.status_code != 200
    if limit_failed:
        problems.append(
            f"a batch of exactly {limit} customers (the limit) must be accepted; {_describe(full)}"
        )
    return _verdict(
        problems,
        len(customers) + 1,
        "batch predictions conform, in order, ids echoed",
        failed=failed_customers + int(limit_failed),
    )


def check_batch_limits(probe: ApiProbe) -> Verdict:
    """Over the limit → 413 or 422; empty → 422."""
    limit = probe.contract["limits"]["max_batch_size"]
    problems = []
    over = probe.post_json("/predict/batch", {"customers": [probe.base_customer] * (limit + 1)})
    if isinstance(over, str) or over.status_code not in (413, 422):
        problems.append(f"a batch of {limit + 1} customers must get 413 or 422; {_describe(over)}")
    empty = probe.post_json("/predict/batch", {"customers": []})
    if isinstance(empty, str) or empty.status_code != 422:
        problems.append(f"an empty batch must get 422; {_describe(empty)}")
    return _verdict(problems, 2, "batch limits enforced")


def _loc_names(detail: Any) -> list[list[Any]]:
    if not isinstance(detail, dict) or not isinstance(detail.get("detail"), list):
        return []
    return [item.get("loc", []) for item in detail["detail"] if isinstance(item, dict)]


def check_validation(probe: ApiProbe) -> Verdict:
    """Every invalid case gets 422 in FastAPI's shape, naming the offending field (and index) in ``loc``."""
    problems = []
    cases = probe.cases["invalid"]
    for case in cases:
        body, content_type = build_body(case, probe.base_customer)
        response = probe.request("POST", case["path"], body, content_type)
        where = f"POST {case['path']} ({case['name']})"
        if isinstance(response, str) or response.status_code != 422:
            problems.append(f"{where} {_describe(response)}; expected 422")
            continue
        doc = _json(response)
        shape = probe.problems("ValidationError", doc)
        if shape:
            problems.append(f"{where}: the 422 body does not have FastAPI's shape: {shape[0]}")
            continue
        field = case.get("field")
        locs = _loc_names(doc)
        if field and not any(field in loc for loc in locs):
            problems.append(
                f"{where}: no detail item has {field!r} in its loc (got locs {locs[:3]})"
            )
        elif "index" in case and not any(case["index"] in loc and field in loc for loc in locs):
            problems.append(
                f"{where}: the loc should also name the item index {case['index']} (got {locs[:3]})"
            )
    return _verdict(
        problems, len(cases), f"all {len(cases)} invalid inputs rejected with a precise 422"
    )


def check_consistency(probe: ApiProbe) -> Verdict:
    """Single vs batch agree; repeated calls are identical; customer_id does not change the prediction."""
    problems = []
    customers = probe.cases["valid_customers"][:10]
    singles = [probe.post_json("/predict", c) for c in customers]
    batch = probe.post_json("/predict/batch", {"customers": customers})
    again = probe.post_json("/predict", customers[0])
    renamed = probe.post_json("/predict", {**customers[0], "customer_id": "another-id"})
    responses = [*singles, batch, again, renamed]
    if any(isinstance(r, str) or r.status_code != 200 for r in responses):
        return Verdict(
            0.0,
            "could not compare predictions: /predict or /predict/batch did not answer 200 to "
            "valid customers (see api.predict and api.batch)",
        )
    probs = [_probability(_json(r)) for r in singles]  # type: ignore[arg-type]
    batch_doc = _json(batch)  # type: ignore[arg-type]
    batch_preds = batch_doc.get("predictions", []) if isinstance(batch_doc, dict) else []
    if not isinstance(batch_preds, list):
        batch_preds = []
    for i, (customer, p) in enumerate(zip(customers, probs, strict=True)):
        bp = _probability(batch_preds[i]) if i < len(batch_preds) else None
        if not _close(p, bp):
            problems.append(
                f"{customer['customer_id']}: /predict gave {p} but /predict/batch gave {bp}"
            )
    if not _close(probs[0], _probability(_json(again))):  # type: ignore[arg-type]
        problems.append("two identical /predict calls returned different probabilities")
    if not _close(probs[0], _probability(_json(renamed))):  # type: ignore[arg-type]
        problems.append(
            "changing only customer_id changed the probability: the model must ignore it"
        )
    spec = probe.cases["directional"]
    low = probe.post_json("/predict", {**spec["base"], spec["field"]: spec["to"]})
    high = probe.post_json("/predict", {**spec["base"], spec["field"]: spec["from"]})
    if all(isinstance(r, httpx.Response) and r.status_code == 200 for r in (low, high)):
        p_low, p_high = _probability(_json(low)), _probability(_json(high))  # type: ignore[arg-type]
        if p_low is None or p_high is None or not p_low < p_high:
            problems.append(
                f"a {spec['to']} contract should lower the churn probability versus {spec['from']}, "
                f"all else equal (got {p_low:.4f} vs {p_high:.4f})"
            )
    return _verdict(problems, len(customers) + 3, "single, batch and repeated predictions agree")


def _probability(doc: Any) -> float | None:
    """``churn_probability`` of a prediction document, or None when it has none."""
    value = doc.get("churn_probability") if isinstance(doc, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _close(a: Any, b: Any, tol: float = 1e-6) -> bool:
    return (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and math.isclose(a, b, abs_tol=tol)
    )


def _batch_probabilities(
    probe: ApiProbe, customers: list[dict[str, Any]], what: str
) -> list[float] | str:
    """The service's probabilities for ``customers`` via ``/predict/batch``, or why there are none."""
    scores: list[float] = []
    chunk = int(probe.contract["limits"]["max_batch_size"])
    for start in range(0, len(customers), chunk):
        part = customers[start : start + chunk]
        response = probe.post_json("/predict/batch", {"customers": part})
        if isinstance(response, str) or response.status_code != 200:
            return f"could not score {what}: POST /predict/batch {_describe(response)}"
        preds = (_json(response) or {}).get("predictions", [])
        probabilities = [_probability(p) for p in preds] if isinstance(preds, list) else []
        if len(probabilities) != len(part) or any(p is None for p in probabilities):
            return f"could not score {what}: the batch response is malformed"
        scores += probabilities  # type: ignore[arg-type]
    if any(math.isnan(s) for s in scores):
        return f"some probabilities for {what} are NaN"
    return scores


def check_holdout_quality(probe: ApiProbe) -> Verdict:
    """ROC-AUC on the hold-out customers is above the floor and not implausibly high."""
    from sklearn.metrics import roc_auc_score  # heavy: imported only when the check runs

    floor = float(probe.thresholds["roc_auc_floor"])
    ceiling = float(probe.thresholds["roc_auc_ceiling"])
    customers = [row["customer"] for row in probe.holdout]
    scores = _batch_probabilities(probe, customers, "the hold-out customers")
    if isinstance(scores, str):
        return Verdict(0.0, scores)
    labels = [row["label"] for row in probe.holdout]
    auc = float(roc_auc_score(labels, scores)) if len(set(scores)) > 1 else 0.5
    text = f"hold-out ROC-AUC {auc:.4f} (floor {floor:.2f}, {len(labels)} customers)"
    if auc > ceiling:
        return Verdict(
            0.0,
            f"{text}: above {ceiling:.2f}, more than any model trained on the train split reaches. "
            "The hold-out customers are for evaluation only: was the model trained on them, or does "
            "the service look them up?",
        )
    if auc >= floor:
        return Verdict(1.0, text)
    return Verdict(
        0.0,
        text + ": the served model ranks customers too poorly; is it trained, loaded, and fed the "
        "features in the right order and encoding?",
    )


def check_model_agreement(probe: ApiProbe) -> Verdict:
    """On customers generated for this commit, the service ranks churn risk like the reference model.

    The customers are real training rows with one to three fields changed (consistently), so no
    model can have seen them; agreement is Spearman's rank correlation with the reference model.
    """
    from scipy.stats import spearmanr  # heavy: imported only when the check runs

    from grader.model.perturb import perturbed_customers
    from grader.model.reference import reference_probabilities, train_rows

    floor = float(probe.thresholds["agreement_floor"])
    count = int(probe.thresholds["generated_customers"])
    customers = perturbed_customers(train_rows(), probe.seed, count)
    scores = _batch_probabilities(probe, customers, f"{count} customers generated for this commit")
    if isinstance(scores, str):
        return Verdict(0.0, scores)
    reference = reference_probabilities(customers)
    rho = float(spearmanr(reference, scores).statistic) if len(set(scores)) > 1 else 0.0
    rho = 0.0 if math.isnan(rho) else rho
    text = (
        f"rank agreement with the reference model (Spearman) on {count} customers generated for "
        f"this commit: {rho:.3f} (floor {floor:.2f})"
    )
    if rho >= floor:
        return Verdict(1.0, text)
    return Verdict(
        0.0,
        text + ". New customers (real ones with a few fields changed) are ranked unlike any model "
        "trained on the course data: a constant answer, a lookup of known customers, or features "
        "fed in the wrong order or encoding?",
    )


def check_robustness(probe: ApiProbe) -> Verdict:
    """No hostile request yields a 5xx or a dropped connection; the service stays healthy afterwards."""
    problems = []
    cases = probe.cases["hostile"]
    for case in cases:
        body, content_type = (
            build_body(case, probe.base_customer) if case["method"] == "POST" else (None, "")
        )
        response = probe.request(
            case["method"], case["path"], body, content_type or "application/json"
        )
        if isinstance(response, str) or response.status_code >= 500:
            problems.append(
                f"{case['method']} {case['path']} ({case['name']}) {_describe(response)}; "
                "any 4xx is fine, a 5xx or a dropped connection is not"
            )
    health = probe.request("GET", "/health")
    valid = probe.post_json("/predict", probe.base_customer)
    if (
        isinstance(health, str)
        or health.status_code != 200
        or isinstance(valid, str)
        or valid.status_code != 200
    ):
        problems.append(
            "after the hostile requests the service was no longer healthy or no longer predicted"
        )
    return _verdict(problems, len(cases) + 1, f"survived {len(cases)} hostile requests")


def smoke_problem(probe: ApiProbe, endpoint: str) -> str | None:
    """Why ``endpoint`` ("predict" or "batch") cannot answer one valid customer, or None."""
    customer = probe.base_customer
    if endpoint == "predict":
        response, name, where = probe.post_json("/predict", customer), "Prediction", "POST /predict"
    else:
        response = probe.post_json("/predict/batch", {"customers": [customer]})
        name, where = "BatchResponse", "POST /predict/batch"
    if isinstance(response, str) or response.status_code != 200:
        return f"{where} does not answer a valid customer (it {_describe(response)}; see api.{endpoint})"
    found = probe.problems(name, _json(response))
    if found:
        return f"{where} answers a valid customer with a response that breaks the contract ({found[0]})"
    return None


@dataclass(frozen=True)
class ApiCheck:
    """A check function and the endpoints it needs working (smoke probes) to say anything."""

    run: Callable[[ApiProbe], Verdict]
    needs: tuple[str, ...] = ()


API_CHECKS: dict[str, ApiCheck] = {
    "api.openapi": ApiCheck(check_openapi),
    "api.model_info": ApiCheck(check_model_info),
    "api.predict": ApiCheck(check_predict),
    "api.batch": ApiCheck(check_batch),
    "api.batch_limits": ApiCheck(check_batch_limits),
    "api.validation": ApiCheck(check_validation),
    "api.consistency": ApiCheck(check_consistency, needs=("predict", "batch")),
    "model.holdout_quality": ApiCheck(check_holdout_quality, needs=("batch",)),
    "model.agreement": ApiCheck(check_model_agreement, needs=("batch",)),
    "api.robustness": ApiCheck(check_robustness),  # last: it may break a fragile service
}
