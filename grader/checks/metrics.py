"""Metrics checks: ``/metrics`` scraped before and after a known mix of requests.

Before any Prometheus scrapes the service, the grader is its only client: what the counters and
histograms move by between two scrapes is what the grader sent. The exposition is parsed with
``prometheus_client``'s own text parser. Names, types, labels and buckets come from the contract's
``observability.metrics``; which family plays which part (the request counter, the latency
histogram, ...) is read from its type and labels, so no metric name is written in the grader.

A service may record a request a moment after its answer has left: the second scrape is repeated
a bounded number of times until it shows what was sent (a service that never does fails; one
that counts late but correctly does not).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from grader.checks.api import Verdict
from grader.checks.request_mix import (
    BATCH,
    HEALTH,
    MODEL,
    PREDICT,
    RECORD,
    ObsProbe,
    Planned,
    Sent,
    contract_paths,
    first_problem,
    invalid_customer,
    probabilities,
    record_id,
    unknown_path,
    unknown_record_id,
    wrong_method,
)

MAX_LISTED = 8
ACCEPTED_CONTENT_TYPES = ("text/plain", "application/openmetrics-text")
LabelKey = tuple[tuple[str, str], ...]


# --- the contract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One metric family of the contract."""

    name: str  # the sample name of the text format (a counter's ends in _total)
    type: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()
    label_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def parsed_name(self) -> str:
        """The family's name as prometheus_client's parser reports it (a counter loses _total)."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


@dataclass(frozen=True)
class MetricsSpec:
    """``observability.metrics`` of the contract, with the part each family plays."""

    path: str
    unmatched_route: str
    counts_metrics_requests: bool
    threshold: float
    families: tuple[Family, ...]
    method: str  # label names: the contract's method_label, route_label, status_label
    route: str
    status: str
    requests: Family  # the counter labelled by method, route and status
    duration: Family  # the histogram labelled by method and route
    predictions: Family  # the counter of stored predictions by outcome
    probability: Family  # the histogram without labels
    model_info: Family  # the gauge with a label (the model version)
    templates: frozenset[str]  # the contract's path templates: the route label's legal values

    @classmethod
    def from_contract(cls, contract: dict[str, Any]) -> MetricsSpec:
        """Read the contract; a contract the checks cannot read is a grader error."""
        section = contract["observability"]["metrics"]
        if section["counts_metrics_requests"]:
            # The grader's own scrapes would then be traffic of every check: not supported.
            raise ValueError("the metrics checks need a contract whose /metrics is not counted")
        method, route, status = (
            name for name in ("method", "route", "status") if f"{name}_label" in section
        )
        families = tuple(
            Family(
                name=f["name"],
                type=f["type"],
                labels=tuple(f["labels"]),
                buckets=tuple(float(b) for b in f.get("buckets", ())),
                label_values={k: tuple(v) for k, v in f.get("label_values", {}).items()},
            )
            for f in section["families"]
        )

        def only(what: str, test: Callable[[Family], bool]) -> Family:
            found = [f for f in families if test(f)]
            if len(found) != 1:
                raise ValueError(f"the contract has {len(found)} families for {what}, not one")
            return found[0]

        return cls(
            path=section["path"],
            unmatched_route=section["unmatched_route"],
            counts_metrics_requests=bool(section["counts_metrics_requests"]),
            threshold=float(contract["limits"]["probability_threshold"]),
            families=families,
            method=method,
            route=route,
            status=status,
            requests=only("requests", lambda f: f.type == "counter" and status in f.labels),
            duration=only("latency", lambda f: f.type == "histogram" and route in f.labels),
            predictions=only("predictions", lambda f: f.type == "counter" and bool(f.label_values)),
            probability=only("probability", lambda f: f.type == "histogram" and not f.labels),
            model_info=only("the model", lambda f: f.type == "gauge" and bool(f.labels)),
            templates=frozenset(contract_paths(contract)),
        )

    @property
    def outcome(self) -> tuple[str, str, str]:
        """``(label, flagged value, other value)`` of the predictions counter.

        The contract lists the flagged outcome (probability >= threshold) first.
        """
        (label, values), *_ = self.predictions.label_values.items()
        flagged, other = values
        return label, flagged, other


# --- scraping ------------------------------------------------------------------------------------


@dataclass
class Scrape:
    """One parsed exposition."""

    content_type: str
    families: dict[str, Any]  # parsed name -> prometheus_client Metric
    samples: dict[str, dict[LabelKey, float]]  # sample name -> label set -> value

    def series(self, sample: str) -> dict[LabelKey, float]:
        """Every series of a sample name."""
        return self.samples.get(sample, {})

    def projected(self, sample: str, labels: Sequence[str]) -> dict[tuple[str, ...], float]:
        """A sample's values summed by the given labels (extra labels folded in)."""
        out: dict[tuple[str, ...], float] = {}
        for key, value in self.series(sample).items():
            named = dict(key)
            projected = tuple(named.get(label, "") for label in labels)
            out[projected] = out.get(projected, 0.0) + value
        return out

    def family_with_sample(self, sample: str) -> Any:
        """The parsed family that holds ``sample``, whatever it is called."""
        for metric in self.families.values():
            if any(s.name == sample for s in metric.samples):
                return metric
        return None


def parse_exposition(text: str, content_type: str = "") -> Scrape | str:
    """The exposition parsed, or what the parser says is wrong with it."""
    families: dict[str, Any] = {}
    samples: dict[str, dict[LabelKey, float]] = {}
    try:
        for metric in text_string_to_metric_families(text):
            families[metric.name] = metric
            for s in metric.samples:
                samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = float(s.value)
    except Exception as exc:  # the parser raises several types for malformed input
        return (
            "the answer of GET /metrics is not in the Prometheus text format: prometheus_client's "
            f"parser stopped with {type(exc).__name__}: {str(exc)[:200]}. Let prometheus_client "
            "write it: generate_latest(registry) with CONTENT_TYPE_LATEST."
        )
    return Scrape(content_type, families, samples)


def scrape(probe: ObsProbe, spec: MetricsSpec) -> Scrape | str:
    """``GET /metrics`` parsed, or why it could not be (feedback for the student)."""
    cap = int(probe.settings["max_scrape_bytes"])
    deadline = time.monotonic() + float(probe.settings["request_timeout_s"])
    try:
        with probe.mix.client.stream("GET", spec.path) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > cap:
                    return f"GET {spec.path} answered more than {cap} bytes: far too many series"
                if time.monotonic() > deadline:
                    return f"GET {spec.path} did not finish its answer within the request timeout"
            status, content_type = response.status_code, response.headers.get("content-type", "")
    except httpx.TimeoutException:
        return f"GET {spec.path} got no answer within the request timeout"
    except httpx.HTTPError as exc:
        return f"GET {spec.path} failed: connection problem ({type(exc).__name__})"
    text = body.decode("utf-8", "replace")
    if status != 200:
        snippet = text[:200].replace("\n", " ")
        return f"GET {spec.path} must answer 200 in the Prometheus text format; it answered {status} {snippet}"
    return parse_exposition(text, content_type)


def quiet_scrape(probe: ObsProbe, spec: MetricsSpec) -> Scrape | str:
    """A scrape once the request and prediction counters stand still (a bounded wait).

    A service that records a request a moment after answering it may still be recording an
    earlier check's requests: they must not count as this check's.
    """
    watched = (spec.requests.name, spec.predictions.name)

    def counters(s: Scrape) -> list[dict[LabelKey, float]]:
        return [s.series(name) for name in watched]

    previous = scrape(probe, spec)
    for _ in range(int(probe.settings["scrape_retries"])):
        if isinstance(previous, str):
            return previous
        time.sleep(float(probe.settings["scrape_retry_s"]))
        current = scrape(probe, spec)
        if isinstance(current, str) or counters(current) == counters(previous):
            return current
        previous = current
    return previous


def settled_scrape(
    probe: ObsProbe, spec: MetricsSpec, done: Callable[[Scrape], bool]
) -> Scrape | str:
    """Scrape until ``done`` holds, a bounded number of times; the last scrape."""
    retries = int(probe.settings["scrape_retries"])
    pause = float(probe.settings["scrape_retry_s"])
    after = scrape(probe, spec)
    for _ in range(retries):
        if isinstance(after, str) or done(after):
            break
        time.sleep(pause)
        after = scrape(probe, spec)
    return after


def delta(
    before: Scrape, after: Scrape, sample: str, labels: Sequence[str]
) -> dict[tuple[str, ...], float]:
    """How much each series moved between two scrapes (series that did not move left out)."""
    old, new = before.projected(sample, labels), after.projected(sample, labels)
    moved = {k: new.get(k, 0.0) - old.get(k, 0.0) for k in set(old) | set(new)}
    return {k: v for k, v in moved.items() if abs(v) > 1e-9}


# --- verdicts ------------------------------------------------------------------------------------


def share(problems: list[str], total: int, ok_text: str, intro: str = "") -> Verdict:
    """The share of ``total`` expectations met; feedback lists the unmet ones."""
    if not problems:
        return Verdict(1.0, ok_text)
    listed = problems[:MAX_LISTED]
    more = f"\n(+{len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
    head = f"{intro}\n" if intro else ""
    return Verdict(
        max(0.0, 1 - len(problems) / max(total, 1)),
        f"{head}{len(problems)} of {total} expectations not met:\n"
        + "\n".join(f"- {p}" for p in listed)
        + more,
    )


def _number(value: float) -> str:
    return f"{value:+g}"


def _key_text(family: Family, key: Sequence[str]) -> str:
    """``name{label="value",...}`` of a projected key."""
    labels = ",".join(f'{n}="{v}"' for n, v in zip(family.labels, key, strict=True))
    return f"{family.name}{{{labels}}}"


def _request_key(spec: MetricsSpec, sent: Sent) -> tuple[str, ...]:
    """The request counter's key of a sent request, in the contract's label order."""
    values = {spec.method: sent.planned.method, spec.route: sent.planned.route}
    values[spec.status] = str(sent.status)
    return tuple(values[label] for label in spec.requests.labels)


def _route_key(spec: MetricsSpec, sent: Sent) -> tuple[str, ...]:
    """The latency histogram's key of a sent request."""
    values = {spec.method: sent.planned.method, spec.route: sent.planned.route}
    return tuple(values[label] for label in spec.duration.labels)


# --- the mix -------------------------------------------------------------------------------------


def send_counted_mix(probe: ObsProbe, check: str) -> list[Sent]:
    """Valid, invalid and batch predictions, a stored and an unknown record, an unknown path and
    a wrong method: every kind of answer the request counter must tell apart."""
    spec = MetricsSpec.from_contract(probe.contract)
    rng = probe.rng(check)
    one, *batch = probe.customers(rng, 4)
    path, _ = unknown_path(rng, "grader-")
    first = probe.mix.send_all(
        [
            Planned("GET", HEALTH, HEALTH),
            Planned("GET", HEALTH, HEALTH),
            Planned("POST", PREDICT, PREDICT, body=one),
            Planned("POST", PREDICT, PREDICT, body=invalid_customer(one)),
            Planned("POST", BATCH, BATCH, body={"customers": batch}),
            Planned("GET", MODEL, MODEL),
            Planned("GET", path, spec.unmatched_route),
            Planned(wrong_method(probe.contract, PREDICT), PREDICT, PREDICT),
        ]
    )
    stored = record_id(first[2])
    records = [unknown_record_id(rng)] + ([stored] if stored is not None else [])
    return first + probe.mix.send_all(
        [Planned("GET", RECORD.replace("{id}", str(r)), RECORD) for r in records]
    )


def _mix_problem(sent: list[Sent]) -> Verdict | None:
    """A mix with an unanswered request cannot be judged: the service may or may not count it."""
    if problem := first_problem(sent):
        return Verdict(0.0, f"not judged: {problem}")
    return None


# --- the checks ----------------------------------------------------------------------------------


def family_problems(scrape: Scrape, family: Family) -> list[str]:
    """What is wrong with one contract family in a scrape: presence, type, labels, buckets."""
    metric = scrape.families.get(family.parsed_name)
    if metric is None or metric.type != family.type:
        other = metric or scrape.family_with_sample(family.name)
        if other is None:
            return [f"{family.name} ({family.type}) is missing"]
        return [
            f"{family.name} is exposed as type {other.type!r}; the contract says {family.type} "
            "(declare it with prometheus_client's "
            f"{family.type.capitalize()}, named without the _total suffix for a counter)"
        ]
    problems: list[str] = []
    wanted = set(family.labels)
    for s in metric.samples:
        names = set(s.labels) - ({"le"} if s.name.endswith("_bucket") else set())
        if names != wanted:
            shown = ", ".join(sorted(names)) or "none"
            problems.append(
                f"{s.name} has the labels {{{shown}}}; the contract says exactly "
                f"{{{', '.join(family.labels) or 'none'}}}"
            )
            break
    for label, allowed in family.label_values.items():
        seen = {s.labels.get(label) for s in metric.samples} - {None}
        if extra := sorted(v for v in seen if v not in allowed):
            problems.append(
                f"{family.name} has {label} values {', '.join(extra)}; allowed: {', '.join(allowed)}"
            )
    if family.type == "histogram":
        problems += bucket_problems(metric, family)
    return problems


def bucket_problems(metric: Any, family: Family) -> list[str]:
    """Bucket bounds other than the contract's (each series must have exactly them and +Inf)."""
    declared = sorted([*family.buckets, math.inf])
    for key, pairs in _buckets(metric).items():
        bounds = [b for b, _ in pairs]
        if bounds != declared:
            shown = ", ".join(_le_text(b) for b in bounds)
            labels = ",".join(f'{n}="{v}"' for n, v in key)
            return [
                f"{family.name}{{{labels}}} has buckets {shown}; the contract declares "
                f"{', '.join(_le_text(b) for b in declared)}"
            ]
    return []


def _le_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else f"{bound:g}"


def _buckets(metric: Any) -> dict[LabelKey, list[tuple[float, float]]]:
    """Every series' ``(bound, value)`` bucket pairs, sorted by bound (a bad bound is NaN)."""
    out: dict[LabelKey, list[tuple[float, float]]] = {}
    for s in metric.samples:
        if s.name.endswith("_bucket"):
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            try:
                bound = float(s.labels.get("le", "nan"))
            except ValueError:
                bound = math.nan
            out.setdefault(key, []).append((bound, float(s.value)))
    return {k: sorted(v) for k, v in out.items()}


def check_exposition(probe: ObsProbe) -> Verdict:
    """GET /metrics answers 200 in the text format with every contract family, type, label set
    and bucket layout (other families are welcome)."""
    spec = MetricsSpec.from_contract(probe.contract)
    # Labelled families show their labels only once they have a series: one request, one prediction.
    probe.mix.send_all(
        [
            Planned("GET", HEALTH, HEALTH),
            Planned("POST", PREDICT, PREDICT, body=probe.customers(probe.rng("exposition"), 1)[0]),
        ]
    )
    scraped = scrape(probe, spec)
    if isinstance(scraped, str):
        return Verdict(0.0, scraped)
    problems: list[str] = []
    if not scraped.content_type.lower().startswith(ACCEPTED_CONTENT_TYPES):
        problems.append(
            f"Content-Type is {scraped.content_type or 'missing'!r}; Prometheus expects "
            "text/plain; version=0.0.4 (prometheus_client's CONTENT_TYPE_LATEST)"
        )
    for family in spec.families:
        if found := family_problems(scraped, family):
            problems.append("; ".join(found))
    names = ", ".join(f.name for f in spec.families)
    return share(
        problems,
        1 + len(spec.families),
        f"GET {spec.path} is valid text format with every contract family ({names})",
    )


def check_counters(probe: ObsProbe) -> Verdict:
    """The request counter moves by exactly the requests sent, per method, route and status."""
    spec = MetricsSpec.from_contract(probe.contract)
    family = spec.requests
    before = quiet_scrape(probe, spec)
    if isinstance(before, str):
        return Verdict(0.0, before)
    sent = send_counted_mix(probe, "counters")
    if blocked := _mix_problem(sent):
        return blocked
    expected = Counter(_request_key(spec, s) for s in sent)

    def moved(after: Scrape) -> dict[tuple[str, ...], float]:
        return delta(before, after, family.name, family.labels)

    after = settled_scrape(
        probe, spec, lambda a: moved(a) == {k: float(v) for k, v in expected.items()}
    )
    if isinstance(after, str):
        return Verdict(0.0, after)
    seen = moved(after)
    problems: list[str] = []
    for key, count in sorted(expected.items()):
        got = seen.get(key, 0.0)
        if got != count:
            problems.append(
                f"{_key_text(family, key)}: expected {_number(count)}, seen {_number(got)}"
            )
    unexpected = {k: v for k, v in seen.items() if k not in expected}
    if unexpected:
        problems.append(
            "series the grader's requests do not explain: "
            + "; ".join(
                f"{_key_text(family, k)} {_number(v)}{_hint(spec, family, k)}"
                for k, v in sorted(unexpected.items())[:4]
            )
        )
    sent_text = ", ".join(f"{' '.join(k)} x{v}" for k, v in sorted(expected.items()))
    return share(
        problems,
        len(expected) + 1,
        f"{family.name} moved by exactly the requests sent ({len(sent)}); scrapes not counted",
        intro=f"Sent between two scrapes (method route status x count): {sent_text}.",
    )


def _hint(spec: MetricsSpec, family: Family, key: Sequence[str]) -> str:
    """Why a series may have moved that should not have."""
    labels = dict(zip(family.labels, key, strict=True))
    route = labels.get(spec.route, "")
    if route == spec.path and not spec.counts_metrics_requests:
        return f" (requests to {spec.path} must not be counted)"
    if route not in spec.templates and route != spec.unmatched_route:
        return f" (a raw path as the route label: use the route template or {spec.unmatched_route})"
    return ""


def histogram_problems(scrape: Scrape, family: Family) -> list[str]:
    """Cumulative buckets: non-decreasing by bound, +Inf present and equal to _count."""
    metric = scrape.families.get(family.name)
    if metric is None:
        return [f"{family.name} is missing"]
    counts = scrape.series(f"{family.name}_count")
    for key, values in _buckets(metric).items():
        labels = ",".join(f'{n}="{v}"' for n, v in key)
        name = f"{family.name}{{{labels}}}"
        if any(b[1] < a[1] for a, b in zip(values, values[1:], strict=False)):
            shown = ", ".join(f"le={_le_text(le)}: {v:g}" for le, v in values)
            return [f"{name} buckets are not cumulative ({shown}); each counts all below its bound"]
        if not values or not math.isinf(values[-1][0]):
            return [f"{name} has no +Inf bucket"]
        count = counts.get(key)
        if count is None or count != values[-1][1]:
            return [
                f"{name}: the +Inf bucket holds {values[-1][1]:g}, _count {count}; they must be equal"
            ]
    return []


def check_histograms(probe: ObsProbe) -> Verdict:
    """Buckets cumulative; the latency histogram's _count moves with the request counter and with
    the requests sent per method and route; its _sum by a plausible number of seconds."""
    spec = MetricsSpec.from_contract(probe.contract)
    hist, counter = spec.duration, spec.requests
    before = quiet_scrape(probe, spec)
    if isinstance(before, str):
        return Verdict(0.0, before)
    sent = send_counted_mix(probe, "histograms")
    if blocked := _mix_problem(sent):
        return blocked
    by_route = Counter(_route_key(spec, s) for s in sent)
    client_seconds: dict[tuple[str, ...], float] = {}
    for s in sent:
        client_seconds[_route_key(spec, s)] = (
            client_seconds.get(_route_key(spec, s), 0.0) + s.seconds
        )

    def counted(after: Scrape) -> dict[tuple[str, ...], float]:
        return delta(before, after, f"{hist.name}_count", hist.labels)

    after = settled_scrape(
        probe, spec, lambda a: counted(a) == {k: float(v) for k, v in by_route.items()}
    )
    if isinstance(after, str):
        return Verdict(0.0, after)
    problems: list[str] = []
    for family in (hist, spec.probability):
        problems += histogram_problems(after, family)
    counts = counted(after)
    sums = delta(before, after, f"{hist.name}_sum", hist.labels)
    requests = delta(before, after, counter.name, hist.labels)  # folded over status
    for key, n in sorted(by_route.items()):
        name = _key_text(hist, key)
        got, total = counts.get(key, 0.0), requests.get(key, 0.0)
        if got != n or got != total:
            problems.append(
                f"{name}: _count moved {_number(got)}; expected {_number(n)} (the requests sent) "
                f"and equal to the sum of {counter.name} over status ({_number(total)})"
            )
    slack = float(probe.settings["duration_slack_s"])
    implausible = []
    for key, n in sorted(by_route.items()):
        moved, bound = sums.get(key, 0.0), client_seconds[key] + slack * n
        if not 0 < moved <= bound:
            unit = " (seconds, not milliseconds?)" if moved > 100 * bound else ""
            implausible.append(
                f"{_key_text(hist, key)}: _sum moved {moved:.4g} s for {n} requests the "
                f"grader timed at {client_seconds[key]:.4g} s{unit}"
            )
    if implausible:
        problems.append("; ".join(implausible[:3]))
    if stray := {k: v for k, v in counts.items() if k not in by_route}:
        problems.append(
            "observations the grader's requests do not explain: "
            + "; ".join(
                f"{_key_text(hist, k)} _count {_number(v)}" for k, v in sorted(stray.items())[:4]
            )
        )
    total = 2 + len(by_route) + 2
    return share(
        problems,
        total,
        f"{hist.name} and {spec.probability.name} are cumulative; {hist.name}_count moved with "
        f"{counter.name} per method and route, _sum by the seconds the requests took",
    )


def check_predictions(probe: ObsProbe) -> Verdict:
    """Stored predictions counted by outcome, the probability histogram with them, the model's
    version in the info gauge."""
    spec = MetricsSpec.from_contract(probe.contract)
    label, flagged, other = spec.outcome
    pred, prob, info = spec.predictions, spec.probability, spec.model_info
    before = quiet_scrape(probe, spec)
    if isinstance(before, str):
        return Verdict(0.0, before)
    rng = probe.rng("predictions")
    one, *batch = probe.customers(rng, 6)
    sent = probe.mix.send_all(
        [
            Planned("GET", MODEL, MODEL),
            Planned("POST", PREDICT, PREDICT, body=one),
            Planned("POST", BATCH, BATCH, body={"customers": batch}),
            Planned("POST", PREDICT, PREDICT, body=invalid_customer(one)),
        ]
    )
    if blocked := _mix_problem(sent):
        return blocked
    scored = [p for s in sent[1:3] for p in probabilities(s)]
    if len(scored) != 1 + len(batch):
        answers = "; ".join(f"{s.planned.describe()} answered {s.status}" for s in sent[1:3])
        return Verdict(0.0, f"not judged: the predictions did not succeed ({answers})")
    n_flagged = sum(p >= spec.threshold for p in scored)
    expected = {(flagged,): float(n_flagged), (other,): float(len(scored) - n_flagged)}

    def moved(after: Scrape) -> dict[tuple[str, ...], float]:
        return delta(before, after, pred.name, pred.labels)

    after = settled_scrape(
        probe, spec, lambda a: moved(a) == {k: v for k, v in expected.items() if v}
    )
    if isinstance(after, str):
        return Verdict(0.0, after)
    problems: list[str] = []
    seen = moved(after)
    for key, count in expected.items():
        if seen.get(key, 0.0) != count:
            problems.append(
                f'{pred.name}{{{label}="{key[0]}"}}: expected {_number(count)}, seen '
                f"{_number(seen.get(key, 0.0))} ({len(scored)} customers scored, {n_flagged} with a "
                f"probability >= {spec.threshold:g}; the invalid request scores none)"
            )
    if stray := {k: v for k, v in seen.items() if k not in expected}:
        problems.append(f"{pred.name} moved under unexpected outcomes: {sorted(stray)}")
    count = delta(before, after, f"{prob.name}_count", ()).get((), 0.0)
    if count != len(scored):
        problems.append(
            f"{prob.name}_count moved {_number(count)}; expected {_number(len(scored))}"
        )
    total = delta(before, after, f"{prob.name}_sum", ()).get((), 0.0)
    if abs(total - sum(scored)) > 1e-3 * len(scored):
        problems.append(
            f"{prob.name}_sum moved {total:.6g}; the probabilities returned sum to {sum(scored):.6g}"
        )
    problems += _model_info_problems(spec, info, after, sent[0])
    return share(
        problems,
        len(expected) + 1 + 3,
        f"{pred.name} moved by the {len(scored)} customers scored, by outcome; {prob.name} with "
        f"it; {info.name} names the model's version",
    )


def _model_info_problems(spec: MetricsSpec, info: Family, after: Scrape, model: Sent) -> list[str]:
    version = model.document.get("version") if isinstance(model.document, dict) else None
    if model.status != 200 or not isinstance(version, str):
        return [
            f"GET {MODEL} answered {model.status} without a version to compare {info.name} with"
        ]
    (label,) = info.labels
    series = {dict(k).get(label): v for k, v in after.series(info.name).items()}
    if series.get(version) != 1.0:
        return [
            f'{info.name}{{{label}="{version}"}} should be 1 (GET {MODEL} says version '
            f"{version}); seen {series or 'no series'}"
        ]
    if others := {v: x for v, x in series.items() if v != version and x != 0}:
        return [f"{info.name} also reports other versions: {others}"]
    return []


def check_cardinality(probe: ObsProbe) -> Verdict:
    """Random unknown paths, unknown ids and query strings add a fixed number of series, and no
    random string becomes a label value."""
    spec = MetricsSpec.from_contract(probe.contract)
    counter, hist = spec.requests, spec.duration
    before = quiet_scrape(probe, spec)
    if isinstance(before, str):
        return Verdict(0.0, before)
    rng = probe.rng("cardinality")
    tokens: list[str] = []
    ids: list[int] = []
    plan: list[Planned] = []
    for i in range(int(probe.settings["cardinality_requests"])):
        if i % 3 == 0:
            path, token = unknown_path(rng, "card-")
            tokens.append(token)
            plan.append(Planned("GET", path, spec.unmatched_route))
        elif i % 3 == 1:
            ids.append(unknown_record_id(rng))
            plan.append(Planned("GET", RECORD.replace("{id}", str(ids[-1])), RECORD))
        else:
            token = f"q{rng.randrange(16**8):08x}"
            tokens.append(token)
            plan.append(Planned("GET", f"{HEALTH}?{token}={token}", HEALTH))
    sent = probe.mix.send_all(plan)
    if blocked := _mix_problem(sent):
        return blocked
    keys = {_request_key(spec, s) for s in sent}

    def counted(after: Scrape) -> float:
        return sum(delta(before, after, counter.name, counter.labels).values())

    routes = {_route_key(spec, s) for s in sent}
    new_keys = keys - set(before.projected(counter.name, counter.labels))
    new_routes = routes - set(before.projected(f"{hist.name}_count", hist.labels))

    def grown(after: Scrape, sample: str) -> int:
        return len(after.series(sample)) - len(before.series(sample))

    after = settled_scrape(
        probe,
        spec,
        lambda a: counted(a) >= len(sent),
    )
    if isinstance(after, str):
        return Verdict(0.0, after)
    if counted(after) < len(sent):
        # Series that never move say nothing about how many a busy service would make.
        return Verdict(
            0.0,
            f"not judged: {counter.name} moved by {counted(after):g} after the grader's {len(sent)} "
            "requests to random paths (see metrics.counters)",
        )
    problems: list[str] = []
    for name, allowed in ((counter.name, len(new_keys)), (f"{hist.name}_count", len(new_routes))):
        if (growth := grown(after, name)) > allowed:
            problems.append(
                f"{name} grew by {growth} series after {len(sent)} requests to random paths; at most "
                f"{allowed} (one {spec.unmatched_route} series per method and status, one "
                f"{RECORD} template)"
            )
    leaked = _leaked_values(after, tokens, ids)
    if leaked:
        problems.append(
            "random parts of the grader's URLs became label values: "
            + "; ".join(leaked[:3])
            + f" — label routes by template, unknown paths as {spec.unmatched_route}, never ids "
            "or query strings"
        )
    return share(
        problems,
        3,
        f"{len(sent)} requests to random paths, ids and query strings: {counter.name} grew by "
        f"{grown(after, counter.name)} series (at most {len(new_keys)} allowed); no random string "
        "became a label value",
    )


def _leaked_values(after: Scrape, tokens: Iterable[str], ids: Iterable[int]) -> list[str]:
    """``sample{label="value"}`` of label values holding a random token or id."""
    tokens, id_texts = list(tokens), [str(i) for i in ids]
    found: list[str] = []
    for sample, series in after.samples.items():
        for key in series:
            for label, value in key:
                if any(t in value for t in tokens) or any(
                    value == i or f"/{i}" in value for i in id_texts
                ):
                    found.append(f'{sample}{{{label}="{value[:80]}"}}')
    return sorted(set(found))
