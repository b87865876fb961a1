"""Latency lab (lecture 4): measure what one prediction costs, live, and what to do about it.

Run: ``uv run streamlit run demos/latency_lab.py``

Each measurement sends hold-out customers through one serving path, one request at a time, and
records every request's latency:

* single-record requests vs batches of records;
* the course's logistic regression vs a heavier model (a random forest trained at start-up);
* the naive path (a one-row DataFrame through the fitted scikit-learn pipeline per request) vs the
  fast path (the exported weights, a few additions per customer);
* in-process, or against a running service (``POST /predict`` vs ``POST /predict/batch``).

The page then shows the distributions, p50/p95/p99 and throughput, and turns the numbers into the
scale-up / scale-out / shrink-the-model argument of the lecture.
"""

from __future__ import annotations

import math
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by Streamlit: make `demos` and `grader` importable
    sys.path.insert(0, str(ROOT))

import altair as alt  # noqa: E402
import httpx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from demos._common import (  # noqa: E402
    DEFAULT_SERVICE_URL,
    MODEL_PATH,
    SERVICE_TIMEOUT,
    START_SERVICE_HINT,
    TARGET,
    ServiceUnreachable,
    call_service,
    course_model,
    format_duration,
    format_rate,
    holdout_frame,
    read_customers_csv,
    to_records,
)
from grader.contracts import load_contract  # noqa: E402

SEED = 42
MAX_REQUESTS = 2000
MIN_BATCH_REQUESTS = 10
FAST = "Logistic regression, fast path"
NAIVE = "Logistic regression, sklearn pipeline"
FOREST = "Random forest, sklearn pipeline"
SERVICE = "Service"
# Twenty-five metrics on one page: a smaller font keeps "16.5 ms" from being cut off.
COMPACT_METRICS = "<style>[data-testid='stMetricValue'] { font-size: 1.6rem; }</style>"
SHORT = {FAST: "LR fast path", NAIVE: "LR sklearn", FOREST: "forest sklearn", SERVICE: "service"}
MODEL_HELP = {
    FAST: "the exported weights (model.json): a table look-up per text feature, no pandas",
    NAIVE: "the same fitted model as a scikit-learn Pipeline, fed a DataFrame per request",
    FOREST: "200 trees trained at start-up on data/train.csv: a heavier, bigger model",
}


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class TrainedModel:
    """A scikit-learn pipeline trained at start-up, with what it cost and how good it is."""

    pipeline: Pipeline
    fit_s: float
    size_bytes: int
    holdout_auc: float


def build_pipeline(classifier: Any) -> Pipeline:
    """The course's preprocessing (one-hot text, zero-imputed and scaled numbers) + a classifier."""
    model = course_model()
    text = list(model.categories)
    categories = [sorted(model.categories[f], key=model.categories[f].get) for f in text]
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=0.0)),
            ("scale", StandardScaler()),
        ]
    )
    preprocess = ColumnTransformer(
        [
            ("text", OneHotEncoder(categories=categories, sparse_output=False), text),
            ("numeric", numeric, list(model.numeric)),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def _fit(classifier: Any) -> TrainedModel:
    """Fit on the homework's training split (stratified 80 %, seed 42) and score the hold-out."""
    features = list(course_model().features)
    frame = read_customers_csv(ROOT / "data" / "train.csv")
    target = (frame[TARGET] == "Yes").astype(int)
    x_train, _, y_train, _ = train_test_split(
        frame[features], target, test_size=0.2, stratify=target, random_state=SEED
    )
    started = time.perf_counter()
    pipeline = build_pipeline(classifier).fit(x_train, y_train)
    fit_s = time.perf_counter() - started
    holdout = holdout_frame()
    scores = pipeline.predict_proba(holdout[features])[:, 1]
    auc = float(roc_auc_score(holdout[TARGET] == "Yes", scores))
    return TrainedModel(pipeline, fit_s, len(pickle.dumps(pipeline)), auc)


@st.cache_resource(show_spinner="Fitting the logistic-regression pipeline on data/train.csv …")
def logistic_pipeline() -> TrainedModel:
    """The course model's recipe; it reproduces model.json's coefficients exactly."""
    return _fit(LogisticRegression(max_iter=1000, random_state=SEED))


@st.cache_resource(show_spinner="Training the random forest on data/train.csv (about a second) …")
def forest_pipeline() -> TrainedModel:
    """The heavier model: 200 trees."""
    return _fit(
        RandomForestClassifier(n_estimators=200, min_samples_leaf=3, random_state=SEED, n_jobs=1)
    )


@st.cache_resource
def customer_pool() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Hold-out customers as JSON-ready records, and the same with NaN for DataFrames."""
    records = to_records(holdout_frame())
    for_frames = [
        {k: (math.nan if v is None else v) for k, v in record.items()} for record in records
    ]
    return records, for_frames


def fast_auc() -> float:
    """Hold-out ROC-AUC of the fast path (the exported weights)."""
    records, _ = customer_pool()
    labels = holdout_frame()[TARGET] == "Yes"
    return float(roc_auc_score(labels, course_model().fast.probabilities(records)))


# --------------------------------------------------------------------------- measuring


@dataclass
class Measurement:
    """The latencies of one serving path (seconds per request)."""

    variant: str
    model: str
    path: str  # "single" or "batch"
    batch_size: int
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: int = 0
    stopped_early: bool = False

    @property
    def short(self) -> str:
        """A label short enough for a chart axis."""
        if self.model == SERVICE:
            return (
                "POST /predict" if self.path == "single" else f"/predict/batch ({self.batch_size})"
            )
        where = " (in-process)" if "in-process" in self.variant else ""
        size = "1 record" if self.path == "single" else f"batch {self.batch_size}"
        return f"{SHORT[self.model]}{where} · {size}"

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def records(self) -> int:
        return self.requests * self.batch_size

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q))

    @property
    def per_record_s(self) -> float:
        """The median request's latency divided by the records it carried."""
        return self.percentile(50) / self.batch_size

    @property
    def throughput(self) -> float:
        """Records per second of wall time, one sequential client."""
        return self.records / self.wall_s if self.wall_s > 0 else 0.0


def chunks(pool: Sequence[Any], size: int, count: int) -> list[list[Any]]:
    """``count`` consecutive slices of ``size`` records, wrapping around the pool."""
    out = []
    for i in range(count):
        start = (i * size) % len(pool)
        piece = [pool[(start + j) % len(pool)] for j in range(size)]
        out.append(piece)
    return out


def measure(
    measurement: Measurement,
    call: Callable[[list[Any]], bool],
    payloads: list[list[Any]],
    budget_s: float,
) -> Measurement:
    """Time ``call`` on each payload in turn (after one untimed warm-up call) within the budget.

    ``call`` returns False for a failed request (counted in ``errors``).
    """
    call(payloads[0])  # warm-up: first-call costs (imports, caches, connection) are not latency
    started = time.perf_counter()
    for payload in payloads:
        t0 = time.perf_counter()
        ok = call(payload)
        measurement.latencies.append(time.perf_counter() - t0)
        measurement.errors += 0 if ok else 1
        if time.perf_counter() - started > budget_s and measurement.requests >= 3:
            measurement.stopped_early = measurement.requests < len(payloads)
            break
    measurement.wall_s = time.perf_counter() - started
    return measurement


def in_process_calls(model: str) -> tuple[Callable[[list[Any]], bool], Callable, bool]:
    """(single call, batch call, wants NaN records) for an in-process model."""
    if model == FAST:
        scorer = course_model().fast

        def fast_single(chunk: list[Any]) -> bool:
            scorer.probability(chunk[0])
            return True

        def fast_batch(chunk: list[Any]) -> bool:
            scorer.probabilities(chunk)
            return True

        return fast_single, fast_batch, False
    trained = logistic_pipeline() if model == NAIVE else forest_pipeline()
    pipeline = trained.pipeline

    def frame_call(chunk: list[Any]) -> bool:
        pipeline.predict_proba(pd.DataFrame(chunk))
        return True

    return frame_call, frame_call, True


def run_in_process(
    models: list[str], n_requests: int, batch_size: int, budget_s: float, progress: Any
) -> list[Measurement]:
    records, nan_records = customer_pool()
    n_batches = max(MIN_BATCH_REQUESTS, math.ceil(n_requests / batch_size))
    plan = [(model, path) for model in models for path in ("single", "batch")]
    results = []
    for step, (model, path) in enumerate(plan):
        single, batch, wants_nan = in_process_calls(model)
        pool = nan_records if wants_nan else records
        size = 1 if path == "single" else batch_size
        progress.progress(step / len(plan), text=f"{model}: {path} …")
        payloads = chunks(pool, size, n_requests if path == "single" else n_batches)
        label = f"{model} · {'1 record' if size == 1 else f'batch of {size}'}"
        results.append(
            measure(
                Measurement(label, model, path, size),
                single if path == "single" else batch,
                payloads,
                budget_s,
            )
        )
    progress.progress(1.0, text="done")
    return results


def run_against_service(
    url: str, n_requests: int, batch_size: int, budget_s: float, progress: Any
) -> list[Measurement]:
    """POST /predict one customer at a time, then /predict/batch; plus the in-process fast path."""
    records, _ = customer_pool()
    limit = int(load_contract("hw1")["limits"]["max_batch_size"])
    size = min(batch_size, limit)
    n_batches = max(MIN_BATCH_REQUESTS, math.ceil(n_requests / size))
    base = url.rstrip("/")
    with httpx.Client(timeout=SERVICE_TIMEOUT, trust_env=False) as client:
        health = call_service(url, "GET", "/health", client=client)
        if health.status != 200:
            raise ServiceUnreachable(f"{url}/health answered {health.status}, not 200.")

        def single(chunk: list[Any]) -> bool:
            return client.post(f"{base}/predict", json=chunk[0]).status_code == 200

        def batch(chunk: list[Any]) -> bool:
            return (
                client.post(f"{base}/predict/batch", json={"customers": chunk}).status_code == 200
            )

        results = []
        try:
            progress.progress(0.0, text="POST /predict …")
            results.append(
                measure(
                    Measurement(f"{SERVICE} · POST /predict", SERVICE, "single", 1),
                    single,
                    chunks(records, 1, n_requests),
                    budget_s,
                )
            )
            progress.progress(0.45, text="POST /predict/batch …")
            results.append(
                measure(
                    Measurement(
                        f"{SERVICE} · POST /predict/batch ({size})", SERVICE, "batch", size
                    ),
                    batch,
                    chunks(records, size, n_batches),
                    budget_s,
                )
            )
        except httpx.HTTPError as exc:
            raise ServiceUnreachable(f"Cannot reach the service at {url} ({exc!r}).") from exc
    progress.progress(0.9, text="in-process fast path, for reference …")
    fast_single, _, _ = in_process_calls(FAST)
    results.append(
        measure(
            Measurement(f"{FAST} (in-process reference) · 1 record", FAST, "single", 1),
            fast_single,
            chunks(records, 1, n_requests),
            budget_s,
        )
    )
    progress.progress(1.0, text="done")
    return results


# --------------------------------------------------------------------------- what the numbers say


def _ms(seconds: float) -> str:
    return format_duration(seconds)


def _find(results: list[Measurement], model: str, path: str) -> Measurement | None:
    return next((m for m in results if m.model == model and m.path == path), None)


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"


def findings(
    results: list[Measurement], target_rps: float, info: dict[str, dict[str, Any]]
) -> list[str]:
    """Markdown bullets computed from the measurements (``info``: model -> size/auc)."""
    out = []
    over_http = any(m.model == SERVICE for m in results)
    overhead = (
        "the HTTP round trip, JSON parsing and validation"
        if over_http
        else "building a DataFrame and scikit-learn's input checks"
    )
    # Batching: one bullet per model measured both ways.
    for model in dict.fromkeys(m.model for m in results):
        single, batch = _find(results, model, "single"), _find(results, model, "batch")
        if single is None or batch is None:
            continue
        factor = single.per_record_s / batch.per_record_s
        if factor < 0.9:
            out.append(
                f"**Batch.** Batching {batch.batch_size} records made *{model}* slower per record "
                f"({_ms(single.per_record_s)} → {_ms(batch.per_record_s)}): with almost no "
                "per-call overhead to amortise, the batch's own bookkeeping (arrays, one pass per "
                "feature) is all that is left."
            )
        elif factor >= 1.5:
            out.append(
                f"**Batch.** Batching {batch.batch_size} records cut the per-record cost of "
                f"*{model}* by **{factor:.1f}×** ({_ms(single.per_record_s)} → "
                f"{_ms(batch.per_record_s)}): the fixed cost of a call ({overhead}) is paid once "
                "per batch instead of once per record."
            )
        else:
            out.append(
                f"**Batch.** Batching {batch.batch_size} records changed the per-record cost of "
                f"*{model}* only {factor:.1f}× ({_ms(single.per_record_s)} → "
                f"{_ms(batch.per_record_s)}): this path has almost no per-call overhead to amortise."
            )
    fast, naive = _find(results, FAST, "single"), _find(results, NAIVE, "single")
    if fast and naive:
        factor = naive.percentile(50) / fast.percentile(50)
        agreement = info.get(NAIVE, {}).get("max_diff")
        same = f" with the same predictions (max |Δp| = {agreement:.0e})" if agreement else ""
        out.append(
            f"**Shrink the code path.** The fast path scores one customer in "
            f"{_ms(fast.percentile(50))} (p50) against {_ms(naive.percentile(50))} through the "
            f"scikit-learn pipeline: **{factor:,.0f}× faster**{same}. Same model, no DataFrame."
        )
    forest = _find(results, FOREST, "single")
    reference = naive or fast
    if forest and reference:
        factor = forest.percentile(50) / reference.percentile(50)
        f_info, r_info = info.get(FOREST, {}), info.get(reference.model, {})
        if "auc" in f_info and "auc" in r_info:
            gain = f_info["auc"] - r_info["auc"]
            out.append(
                f"**Shrink the model.** The random forest costs **{factor:.1f}×** the "
                f"*{reference.model}* per request ({_ms(forest.percentile(50))} vs "
                f"{_ms(reference.percentile(50))} p50), weighs {_size(f_info['size'])} against "
                f"{_size(r_info['size'])}, and its hold-out ROC-AUC is {f_info['auc']:.3f} vs "
                f"{r_info['auc']:.3f} ({gain:+.3f}): "
                + (
                    "a better model that has to pay for its latency."
                    if gain > 0.005
                    else "all that cost buys no accuracy here."
                )
            )
    service = _find(results, SERVICE, "single")
    if service and fast:
        factor = service.percentile(50) / fast.percentile(50)
        out.append(
            f"**Where the time goes.** A POST /predict round trip takes "
            f"{_ms(service.percentile(50))} (p50) while the model itself needs "
            f"{_ms(fast.percentile(50))}: HTTP, JSON and validation cost **{factor:,.0f}×** the "
            "arithmetic. Making the model faster would not make this service faster; batching would."
        )
    singles = [m for m in results if m.path == "single" and m.throughput > 0]
    if singles and target_rps > 0:
        slowest = min(singles, key=lambda m: m.throughput)
        fastest = max(
            (m for m in results if m.throughput > 0), key=lambda m: m.throughput, default=slowest
        )
        workers = math.ceil(target_rps / slowest.throughput)
        model_size = info.get(slowest.model, {}).get("size")
        copies = (
            f", each holding its own {_size(model_size)} copy of the model" if model_size else ""
        )
        out.append(
            f"**Scale out.** One sequential worker on *{slowest.variant}* handles "
            f"{slowest.throughput:,.0f} records/s, so {target_rps:,.0f} records/s needs about "
            f"**{workers} workers** (processes or machines){copies}. On *{fastest.variant}* it "
            f"needs {math.ceil(target_rps / fastest.throughput)}."
        )
        gap = fastest.throughput / slowest.throughput
        out.append(
            f"**Scale up.** A faster CPU shortens every number here by the same factor, typically "
            f"well under 2×; the gap between the slowest and the fastest path measured here is "
            f"**{gap:,.0f}×**. Buy hardware after batching and shrinking, not before."
        )
    tails = [m for m in results if m.requests >= 20 and m.path == "single"]
    if tails:
        worst = max(tails, key=lambda m: m.percentile(99))
        ratio = worst.percentile(99) / worst.percentile(50)
        out.append(
            f"**Tails.** For *{worst.variant}* p99 is {ratio:.1f}× p50 ({_ms(worst.percentile(99))} "
            f"vs {_ms(worst.percentile(50))}): one request in a hundred waits that long, so service "
            "objectives are written on p95/p99, never on the mean."
        )
    return out


# --------------------------------------------------------------------------- display


def summary_frame(results: list[Measurement], target_rps: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": [m.variant for m in results],
            "requests": [m.requests for m in results],
            "records": [m.records for m in results],
            "p50 (ms)": [m.percentile(50) * 1e3 for m in results],
            "p95 (ms)": [m.percentile(95) * 1e3 for m in results],
            "p99 (ms)": [m.percentile(99) * 1e3 for m in results],
            "per record (µs)": [m.per_record_s * 1e6 for m in results],
            "records/s": [m.throughput for m in results],
            "workers for target": [
                math.ceil(target_rps / m.throughput) if m.throughput else None for m in results
            ],
            "errors": [m.errors for m in results],
        }
    )


def histogram(results: list[Measurement]) -> alt.Chart:
    """Per-request latencies in log-spaced bins, as a share of each path's requests."""
    everything = np.concatenate([np.asarray(m.latencies) for m in results]) * 1e3
    low, high = max(everything.min(), 1e-4), max(everything.max(), 1e-3)
    edges = np.logspace(np.log10(low) - 0.01, np.log10(high) + 0.01, 60)
    rows = []
    for m in results:
        counts, _ = np.histogram(np.asarray(m.latencies) * 1e3, bins=edges)
        share = counts / max(1, m.requests)
        rows += [
            {"path": m.short, "from": lo, "to": hi, "share": s}
            for lo, hi, s in zip(edges[:-1], edges[1:], share, strict=True)
            if s > 0
        ]
    return (
        alt.Chart(pd.DataFrame(rows), title="Latency distribution per request (log scale)")
        .mark_rect(opacity=0.65)
        .encode(
            x=alt.X("from:Q", scale=alt.Scale(type="log"), title="latency (ms)"),
            x2="to:Q",
            y=alt.Y("share:Q", title="share of requests", axis=alt.Axis(format="%")),
            y2=alt.datum(0),
            color=alt.Color("path:N", legend=alt.Legend(orient="bottom", columns=2, title=None)),
            tooltip=["path", "from", "to", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=380)
    )


def percentile_chart(results: list[Measurement]) -> alt.Chart:
    rows = [
        {"path": m.short, "percentile": f"p{q}", "latency (ms)": m.percentile(q) * 1e3}
        for m in results
        for q in (50, 95, 99)
    ]
    return (
        alt.Chart(pd.DataFrame(rows), title="p50 / p95 / p99 per request (log scale)")
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X("latency (ms):Q", scale=alt.Scale(type="log")),
            y=alt.Y("path:N", title=None, axis=alt.Axis(labelLimit=220)),
            shape="percentile:N",
            color=alt.Color("percentile:N", scale=alt.Scale(scheme="orangered")),
            tooltip=["path", "percentile", alt.Tooltip("latency (ms):Q", format=".3f")],
        )
        .properties(height=45 * len(results) + 110)
    )


def throughput_chart(results: list[Measurement]) -> alt.Chart:
    frame = pd.DataFrame(
        {"path": [m.short for m in results], "records/s": [m.throughput for m in results]}
    )
    low = 10 ** math.floor(math.log10(max(1e-3, frame["records/s"].min())))
    return (
        alt.Chart(frame, title="Throughput (records/s, one client, log scale)")
        .mark_bar()
        .encode(
            # A log axis has no zero: the bars start at the power of ten below the slowest path.
            x=alt.X("records/s:Q", scale=alt.Scale(type="log", domainMin=low)),
            x2=alt.datum(low),
            y=alt.Y("path:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            color=alt.Color("path:N", legend=None),
            tooltip=["path", alt.Tooltip("records/s:Q", format=",.0f")],
        )
        .properties(height=45 * len(results) + 110)
    )


def show_results(lab: dict[str, Any], target_rps: float) -> None:
    results: list[Measurement] = lab["results"]
    st.subheader("Results")
    st.markdown(COMPACT_METRICS, unsafe_allow_html=True)
    st.caption(
        f"{lab['where']} · {lab['when']} · hold-out customers · one warm-up call per path is not "
        "counted · the machine is shared with this page, so compare ratios, not absolute numbers."
    )
    for m in results:
        name, *cells = st.columns([2.2, 1, 1, 1, 1, 1])
        note = " (time budget reached)" if m.stopped_early else ""
        name.markdown(f"**{m.variant}**  \n{m.requests} requests, {m.records} records{note}")
        cells[0].metric("p50", _ms(m.percentile(50)))
        cells[1].metric("p95", _ms(m.percentile(95)))
        cells[2].metric("p99", _ms(m.percentile(99)))
        cells[3].metric("per record", _ms(m.per_record_s), help="p50 latency / batch size")
        cells[4].metric(
            "records/s", format_rate(m.throughput), help="throughput: records per second"
        )
        if m.errors:
            st.warning(f"{m.variant}: {m.errors} requests failed.")
    st.altair_chart(histogram(results), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(percentile_chart(results), width="stretch")
    right.altair_chart(throughput_chart(results), width="stretch")
    st.subheader("What the numbers say")
    for bullet in findings(results, target_rps, lab["info"]):
        st.markdown(f"- {bullet}")
    with st.expander("All numbers"):
        st.dataframe(summary_frame(results, target_rps), hide_index=True)
        if lab["info"]:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "model": name,
                            "size": _size(d["size"]),
                            "hold-out ROC-AUC": d["auc"],
                            "fit (s)": d.get("fit_s"),
                        }
                        for name, d in lab["info"].items()
                    ]
                ),
                hide_index=True,
            )


def model_info(models: list[str]) -> dict[str, dict[str, Any]]:
    info: dict[str, dict[str, Any]] = {}
    if FAST in models:
        info[FAST] = {"size": MODEL_PATH.stat().st_size, "auc": fast_auc(), "fit_s": None}
    if NAIVE in models:
        trained = logistic_pipeline()
        records, nan_records = customer_pool()
        sklearn_p = trained.pipeline.predict_proba(pd.DataFrame(nan_records))[:, 1]
        fast_p = course_model().fast.probabilities(records)
        info[NAIVE] = {
            "size": trained.size_bytes,
            "auc": trained.holdout_auc,
            "fit_s": round(trained.fit_s, 3),
            "max_diff": float(np.max(np.abs(sklearn_p - fast_p))),
        }
    if FOREST in models:
        trained = forest_pipeline()
        info[FOREST] = {
            "size": trained.size_bytes,
            "auc": trained.holdout_auc,
            "fit_s": round(trained.fit_s, 3),
        }
    return info


def main() -> None:
    st.set_page_config(page_title="Latency lab · mlops-course", layout="wide")
    st.title("Latency lab")
    st.caption(
        "How long does one churn prediction take, and what makes it faster? Pick the paths, "
        "press Run, and read the distributions, not just the mean."
    )
    with st.sidebar:
        st.header("What to measure")
        where = st.radio("Where", ["in-process", "service URL"], key="where")
        url = st.text_input("Service URL", value=DEFAULT_SERVICE_URL, key="service_url")
        st.caption(f"Start the reference service with `{START_SERVICE_HINT}`.")
        models = st.multiselect(
            "Models (in-process)",
            [FAST, NAIVE, FOREST],
            default=[FAST, NAIVE, FOREST],
            key="models",
            help="; ".join(f"{k}: {v}" for k, v in MODEL_HELP.items()),
        )
        n_requests = st.slider(
            "Single-record requests per path", 10, MAX_REQUESTS, 200, step=10, key="n_requests"
        )
        batch_size = st.slider("Batch size", 10, 1000, 100, step=10, key="batch_size")
        budget_s = st.slider(
            "Time budget per path (s)",
            1,
            30,
            5,
            key="budget_s",
            help="a path stops early when it has used its budget",
        )
        target_rps = st.number_input(
            "Target load for the sizing estimate (records/s)",
            min_value=1,
            max_value=1_000_000,
            value=1000,
            step=100,
            key="target_rps",
        )
        st.caption(
            f"Batches: the same number of records in batches of {batch_size}, at least "
            f"{MIN_BATCH_REQUESTS} batch requests."
        )
    run = st.button("Run", type="primary", key="run")
    if run:
        progress = st.progress(0.0, text="starting …")
        try:
            if where == "in-process":
                if not models:
                    st.warning("Choose at least one model.")
                    return
                info = model_info(models)
                results = run_in_process(models, n_requests, batch_size, budget_s, progress)
                where_text = "in-process"
            else:
                results = run_against_service(url, n_requests, batch_size, budget_s, progress)
                info = {FAST: {"size": MODEL_PATH.stat().st_size, "auc": fast_auc()}}
                where_text = f"against {url}"
        except ServiceUnreachable as exc:
            progress.empty()
            st.error(f"{exc} Start the service with `{START_SERVICE_HINT}` and run again.")
            return
        progress.empty()
        st.session_state["lab"] = {
            "results": results,
            "info": info,
            "where": where_text,
            "when": time.strftime("%H:%M:%S"),
        }
    if "lab" in st.session_state:
        show_results(st.session_state["lab"], float(target_rps))
    else:
        st.info(
            "Press **Run** to measure. Suggested first run: all three models, 200 requests, "
            "batches of 100. Then point it at a running service."
        )


main()
