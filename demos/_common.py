"""Helpers shared by the demos: paths, the hw1 contract, the course model and a small HTTP client.

Nothing here imports Streamlit, so the helpers can be tested and reused from plain Python. The course
model is read from the reference solution's exported parameters (``model/model.json``) and scored
with a few lines of arithmetic written for the demos; it is the same logistic regression the
homework service serves, so its numbers match the service's.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import numpy as np
import pandas as pd

from grader.contracts import load_contract, schema_for

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = ROOT / "homework" / "hw1_api" / "solution"
MODEL_PATH = SOLUTION_DIR / "model" / "model.json"
METRICS_PATH = SOLUTION_DIR / "model" / "metrics.json"
TRAIN_CSV = ROOT / "data" / "train.csv"
HOLDOUT_CSV = ROOT / "grader" / "suites" / "common" / "holdout.csv"

DEFAULT_SERVICE_URL = "http://127.0.0.1:8000"
# Every call to a service gives up after 5 s at most (2 s to connect). Clients ignore proxy
# variables (trust_env=False): the demos talk to a service the student runs themselves.
SERVICE_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
START_SERVICE_HINT = (
    "cd homework/hw1_api/solution && uv run uvicorn app.main:app --host 127.0.0.1 --port 8000"
)
TARGET = "churn"


# --------------------------------------------------------------------------- the contract


@dataclass(frozen=True)
class FeatureSpec:
    """How one customer feature may be sent, as the contract states it."""

    name: str
    type: str  # "integer", "number" or "string"
    options: tuple[Any, ...] | None  # the allowed values, when the contract lists them
    minimum: float | None
    maximum: float | None
    nullable: bool
    description: str


@cache
def customer_schema() -> dict[str, Any]:
    """The JSON Schema of one customer, exactly as the API validates it."""
    return schema_for(load_contract("hw1"), "Customer")


@cache
def feature_specs() -> tuple[FeatureSpec, ...]:
    """The 19 model features of the contract, in the contract's order (``customer_id`` excluded)."""
    customer = load_contract("hw1")["$defs"]["Customer"]
    specs = []
    for name, prop in customer["properties"].items():
        if name == "customer_id":
            continue
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        specs.append(
            FeatureSpec(
                name=name,
                type=next(t for t in types if t != "null"),
                options=tuple(prop["enum"]) if "enum" in prop else None,
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                nullable="null" in types,
                description=prop.get("description", ""),
            )
        )
    return tuple(specs)


def _join_options(options: Sequence[Any]) -> str:
    shown = [repr(o) if isinstance(o, str) else str(o) for o in options]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _error_item(error: jsonschema.ValidationError) -> list[dict[str, Any]]:
    """One jsonschema error as FastAPI-style 422 items (``loc`` starts with ``"body"``)."""
    loc: list[Any] = ["body", *error.absolute_path]
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return [{"type": "missing", "loc": [*loc, missing], "msg": "Field required"}]
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extras = [key for key in error.instance if key not in allowed]
        return [
            {"type": "extra_forbidden", "loc": [*loc, key], "msg": "Extra inputs are not permitted"}
            for key in extras
        ]
    if kind == "enum":
        options = _join_options(error.validator_value)
        item = {"type": "enum", "loc": loc, "msg": f"Input should be {options}"}
    elif kind == "minimum":
        item = {
            "type": "greater_than_equal",
            "loc": loc,
            "msg": f"Input should be greater than or equal to {error.validator_value}",
        }
    elif kind == "maximum":
        item = {
            "type": "less_than_equal",
            "loc": loc,
            "msg": f"Input should be less than or equal to {error.validator_value}",
        }
    elif kind == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else list(expected)
        names = {"object": "dictionary", "number": "number", "integer": "integer"}
        wanted = " or ".join(names.get(t, t) for t in expected if t != "null")
        suffix = " or null" if "null" in expected else ""
        item = {
            "type": f"{expected[0]}_type",
            "loc": loc,
            "msg": f"Input should be a valid {wanted}{suffix}",
        }
    else:
        item = {"type": str(kind), "loc": loc, "msg": error.message}
    item["input"] = error.instance
    return [item]


def validation_errors(document: Any) -> list[dict[str, Any]]:
    """The 422 ``detail`` items the API would answer for ``document`` (empty when it is valid)."""
    validator = jsonschema.Draft202012Validator(customer_schema())
    items: list[dict[str, Any]] = []
    for error in validator.iter_errors(document):
        items.extend(_error_item(error))
    return sorted(items, key=lambda item: [str(part) for part in item["loc"]])


# --------------------------------------------------------------------------- the course model


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Contribution:
    """One feature's share of the logit: ``coefficient * encoded`` (summed over its columns)."""

    feature: str
    value: Any
    encoded: float
    coefficient: float
    contribution: float


@dataclass(frozen=True)
class CourseModel:
    """The course's logistic regression, read from ``model.json`` (one-hot + scaled numerics)."""

    name: str
    version: str
    threshold: float
    features: tuple[str, ...]
    categories: dict[str, dict[str, int]]  # feature -> category -> column
    numeric: tuple[str, ...]
    offset: int  # the first numeric column
    mean: np.ndarray
    scale: np.ndarray
    impute: np.ndarray
    coef: np.ndarray
    intercept: float
    metrics: dict[str, Any]

    @classmethod
    def load(cls, model_path: Path = MODEL_PATH, metrics_path: Path = METRICS_PATH) -> CourseModel:
        """Read the exported parameters (and the golden metrics, when present)."""
        raw = json.loads(Path(model_path).read_text())
        metrics = json.loads(Path(metrics_path).read_text()) if Path(metrics_path).is_file() else {}
        numeric = raw["numeric"]
        return cls(
            name=raw["name"],
            version=raw["version"],
            threshold=float(raw.get("threshold", 0.5)),
            features=tuple(raw["features"]),
            categories={f: dict(c) for f, c in raw["categorical"]["index"].items()},
            numeric=tuple(numeric["features"]),
            offset=int(numeric["offset"]),
            mean=np.asarray(numeric["mean"], dtype=float),
            scale=np.asarray(numeric["scale"], dtype=float),
            impute=np.asarray(numeric["impute_value"], dtype=float),
            coef=np.asarray(raw["classifier"]["coef"], dtype=float),
            intercept=float(raw["classifier"]["intercept"]),
            metrics=metrics,
        )

    def explain(self, customer: Mapping[str, Any]) -> list[Contribution]:
        """Per-feature contributions to the logit, in the order of the model's features.

        A text feature is one-hot encoded: its chosen category's column is 1 and the others 0, so
        its contribution is that column's coefficient. A numeric feature is imputed (a missing
        value becomes the training imputation value) and standardised, ``(x - mean) / scale``.
        """
        out = []
        for feature in self.features:
            value = customer[feature]
            if feature in self.categories:
                coefficient = float(self.coef[self.categories[feature][value]])
                encoded = 1.0
            else:
                j = self.numeric.index(feature)
                x = float(self.impute[j]) if value is None else float(value)
                encoded = (x - self.mean[j]) / self.scale[j]
                coefficient = float(self.coef[self.offset + j])
            out.append(Contribution(feature, value, encoded, coefficient, coefficient * encoded))
        return out

    def logit(self, customer: Mapping[str, Any]) -> float:
        """``intercept + sum of the contributions``."""
        return self.intercept + sum(c.contribution for c in self.explain(customer))

    def probability(self, customer: Mapping[str, Any]) -> float:
        """P(churn) for one customer (the explainable, unhurried way)."""
        return _sigmoid(self.logit(customer))

    @property
    def fast(self) -> FastScorer:
        """The same model folded into look-up tables: a handful of additions per customer."""
        return FastScorer.from_model(self)


@dataclass(frozen=True)
class FastScorer:
    """Scores customers without pandas or scikit-learn: what a lean service does per request.

    Standardising ``x`` and multiplying by ``coef`` is ``x * coef / scale - coef * mean / scale``;
    the constant parts move into one bias term, so a customer costs one table look-up per text
    feature and one multiply-add per numeric feature.
    """

    bias: float
    tables: tuple[tuple[str, dict[str, float]], ...]
    weights: tuple[tuple[str, float, float], ...]  # (feature, weight, value used for None)

    @classmethod
    def from_model(cls, model: CourseModel) -> FastScorer:
        numeric_coef = model.coef[model.offset :]
        return cls(
            bias=model.intercept - float(np.sum(numeric_coef * model.mean / model.scale)),
            tables=tuple(
                (f, {c: float(model.coef[i]) for c, i in cats.items()})
                for f, cats in model.categories.items()
            ),
            weights=tuple(
                (f, float(w), float(v))
                for f, w, v in zip(
                    model.numeric, numeric_coef / model.scale, model.impute, strict=True
                )
            ),
        )

    def probability(self, customer: Mapping[str, Any]) -> float:
        """P(churn) for one customer."""
        z = self.bias
        for feature, table in self.tables:
            z += table[customer[feature]]
        for feature, weight, missing in self.weights:
            value = customer[feature]
            z += weight * (missing if value is None else value)
        return _sigmoid(z)

    def probabilities(self, customers: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """P(churn) for many customers at once, one vectorised pass per feature."""
        n = len(customers)
        z = np.full(n, self.bias)
        for feature, table in self.tables:
            z += np.fromiter((table[c[feature]] for c in customers), dtype=float, count=n)
        for feature, weight, missing in self.weights:
            values = np.fromiter(
                (missing if c[feature] is None else c[feature] for c in customers),
                dtype=float,
                count=n,
            )
            z += weight * values
        return 1.0 / (1.0 + np.exp(-z))


@cache
def course_model() -> CourseModel:
    """The course model, loaded once per process."""
    return CourseModel.load()


# --------------------------------------------------------------------------- data


def read_customers_csv(path: Path) -> pd.DataFrame:
    """A course CSV (``data/train.csv`` or the hold-out rows) with ``total_charges`` as floats.

    Text columns are read as strings without NA guessing (``"No"`` and ``""`` stay themselves);
    an empty ``total_charges`` becomes NaN.
    """
    text = [s.name for s in feature_specs() if s.type == "string"]
    frame = pd.read_csv(path, dtype=dict.fromkeys([*text, TARGET], str), keep_default_na=False)
    frame["total_charges"] = pd.to_numeric(frame["total_charges"].replace("", np.nan))
    return frame


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The 19 features of each row as a JSON-ready dict (``None`` for a missing total)."""
    records = []
    for row in frame[[s.name for s in feature_specs()]].itertuples(index=False):
        record: dict[str, Any] = {}
        for spec, value in zip(feature_specs(), row, strict=True):
            if spec.type == "integer":
                record[spec.name] = int(value)
            elif spec.type == "number":
                record[spec.name] = None if pd.isna(value) else float(value)
            else:
                record[spec.name] = str(value)
        records.append(record)
    return records


@cache
def holdout_frame() -> pd.DataFrame:
    """The hold-out customers (with their ``churn`` label and ``row_id``)."""
    return read_customers_csv(HOLDOUT_CSV)


# --------------------------------------------------------------------------- talking to a service


class ServiceUnreachable(Exception):
    """The service did not answer (refused, timed out, bad URL)."""


@dataclass(frozen=True)
class ServiceReply:
    """What a service answered."""

    status: int
    body: Any  # the parsed JSON, or the raw text when it is not JSON
    elapsed_ms: float


def _reply(response: httpx.Response, started: float) -> ServiceReply:
    elapsed = (time.perf_counter() - started) * 1000
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return ServiceReply(response.status_code, body, elapsed)


def _unreachable(base_url: str, exc: Exception) -> ServiceUnreachable:
    reason = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        reason = "no answer within the time limit"
    elif isinstance(exc, httpx.ConnectError):
        reason = "connection refused or host unreachable"
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        reason = "not a valid http:// or https:// URL"
    return ServiceUnreachable(f"Cannot reach the service at {base_url} ({reason}).")


def call_service(
    base_url: str,
    method: str,
    path: str,
    payload: Any = None,
    *,
    client: httpx.Client | None = None,
    raw_body: str | None = None,
) -> ServiceReply:
    """One request to ``base_url + path``; :class:`ServiceUnreachable` when there is no answer.

    ``raw_body`` sends text as it is (to show how the service treats JSON it cannot parse).
    """
    url = base_url.rstrip("/") + path
    kwargs: dict[str, Any] = {}
    if raw_body is not None:
        kwargs = {"content": raw_body.encode(), "headers": {"content-type": "application/json"}}
    elif payload is not None:
        kwargs = {"json": payload}
    started = time.perf_counter()
    try:
        if client is not None:
            response = client.request(method, url, **kwargs)
        else:
            with httpx.Client(timeout=SERVICE_TIMEOUT, trust_env=False) as own:
                response = own.request(method, url, **kwargs)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _unreachable(base_url, exc) from exc
    return _reply(response, started)


def format_duration(seconds: float) -> str:
    """Three significant digits in a readable unit: ``"1.62 µs"``, ``"223 µs"``, ``"16.5 ms"``."""
    if seconds < 1e-3:
        value, unit = seconds * 1e6, "µs"
    elif seconds < 1:
        value, unit = seconds * 1e3, "ms"
    else:
        value, unit = seconds, "s"
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def format_rate(per_second: float) -> str:
    """``486123`` -> ``"486k/s"``, ``14934`` -> ``"14.9k/s"``, ``4711`` -> ``"4,711/s"``."""
    if per_second >= 1e5:
        return f"{per_second / 1e3:,.0f}k/s"
    if per_second >= 1e4:
        return f"{per_second / 1e3:.1f}k/s"
    return f"{per_second:,.0f}/s"
