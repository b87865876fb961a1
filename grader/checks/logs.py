"""Log checks: the service's output while the grader sends requests, and the request ids.

The grader reads what the service wrote after a byte offset taken just before its requests
(``CappedOutput.since``). The sandbox captures standard output and standard error as one stream
(``stderr=STDOUT``), so the check cannot tell them apart: every line written during the check must
be JSON, whichever stream it went to. A plain-text line (uvicorn's own access log, a warning
printed to stderr) is named in the feedback; the remaining expectations are judged on the JSON
lines alone.

A service may write a request's line a moment after its answer: the grader waits, a bounded
time, until a line has appeared for every request it sent.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grader.checks.api import Verdict
from grader.checks.metrics import MetricsSpec, send_counted_mix, share
from grader.checks.request_mix import (
    HEALTH,
    PREDICT,
    ObsProbe,
    Planned,
    Sent,
    first_problem,
    invalid_customer,
    request_id_header,
    unknown_path,
    wrong_method,
)

MAX_QUOTED = 160
# How the grader validates each field the contract names (a field it does not know is an error of
# the grader, found when the contract is read).
FIELD_KINDS = {
    "ts": "timestamp",
    "level": "text",
    "logger": "text",
    "message": "text",
    "request_id": "request id",
    "method": "text",
    "route": "text",
    "status": "integer",
    "duration_ms": "number",
}


@dataclass(frozen=True)
class LogSpec:
    """``observability.logs`` of the contract."""

    fields: tuple[str, ...]  # every line
    request_message: str  # the message of the one line per finished request
    request_fields: tuple[str, ...]  # that line's extra fields: method, route, status, duration
    request_id: str  # the field holding the request id
    method: str
    route: str
    status: str

    @classmethod
    def from_contract(cls, contract: dict[str, Any]) -> LogSpec:
        """Read the contract; a field the checks cannot validate is a grader error."""
        section = contract["observability"]["logs"]
        fields = tuple(section["fields"])
        request_fields = tuple(section["request_line"]["fields"])
        if unknown := [f for f in fields + request_fields if f not in FIELD_KINDS]:
            raise KeyError(f"the log checks do not know the contract's fields {unknown}")

        def kind(wanted: str, among: tuple[str, ...]) -> str:
            (name,) = (f for f in among if FIELD_KINDS[f] == wanted)
            return name

        method, route = (f for f in request_fields if FIELD_KINDS[f] == "text")
        return cls(
            fields=fields,
            request_message=section["request_line"]["message"],
            request_fields=request_fields,
            request_id=kind("request id", fields),
            method=method,
            route=route,
            status=kind("integer", request_fields),
        )


def _quote(line: str) -> str:
    return line if len(line) <= MAX_QUOTED else line[:MAX_QUOTED] + "..."


def field_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``name`` field, or None."""
    kind = FIELD_KINDS[name]
    if kind == "timestamp":
        try:
            stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            stamp = None
        if stamp is None or stamp.tzinfo is None:
            return f"{name} must be an ISO 8601 timestamp with a UTC offset, not {value!r}"
    elif kind == "text" and (not isinstance(value, str) or not value):
        return f"{name} must be a non-empty string, not {value!r}"
    elif kind == "request id" and value is not None and not isinstance(value, str):
        return f"{name} must be a string (or null outside a request), not {value!r}"
    elif kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return f"{name} must be an integer, not {value!r}"
    elif kind == "number" and (
        not isinstance(value, int | float) or isinstance(value, bool) or value < 0
    ):
        return f"{name} must be a non-negative number, not {value!r}"
    return None


@dataclass
class LogWindow:
    """The complete lines the service wrote after an offset."""

    lines: list[str]
    kept: bool  # False if the capture dropped part of the window (a flood of output)

    @property
    def records(self) -> list[tuple[str, dict[str, Any] | None]]:
        """Each line with its JSON object (None if the line is not one)."""
        out: list[tuple[str, dict[str, Any] | None]] = []
        for line in self.lines:
            try:
                document = json.loads(line)
            except ValueError:
                document = None
            out.append((line, document if isinstance(document, dict) else None))
        return out

    def request_lines(self, spec: LogSpec) -> list[dict[str, Any]]:
        """The JSON lines whose message is the contract's per-request message."""
        return [d for _, d in self.records if d and d.get("message") == spec.request_message]


def quiet_offset(probe: ObsProbe) -> int:
    """The output's position once the service has stopped writing (a bounded wait): lines an
    earlier check's requests cause late must not count as this check's."""
    pause = float(probe.settings["scrape_retry_s"])
    position = probe.output.position()
    for _ in range(int(probe.settings["scrape_retries"])):
        time.sleep(pause)
        if (current := probe.output.position()) == position:
            break
        position = current
    return position


def read_window(probe: ObsProbe, offset: int) -> LogWindow:
    """The complete, non-blank lines written after ``offset``."""
    text, kept = probe.output.since(offset)
    complete = text[: text.rfind("\n") + 1]
    return LogWindow([line for line in complete.splitlines() if line.strip()], kept)


def wait_for_lines(probe: ObsProbe, offset: int, done: Callable[[LogWindow], bool]) -> LogWindow:
    """Poll the output until ``done`` holds or ``log_wait_s`` passes; then a short settle, so a
    second line for the same request is seen too."""
    deadline = time.monotonic() + float(probe.settings["log_wait_s"])
    window = read_window(probe, offset)
    while not done(window) and time.monotonic() < deadline:
        time.sleep(0.05)
        window = read_window(probe, offset)
    time.sleep(float(probe.settings["log_settle_s"]))
    return read_window(probe, offset)


def _line_key(spec: LogSpec, document: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(document.get(spec.method)),
        str(document.get(spec.route)),
        str(document.get(spec.status)),
    )


def _no_output(window: LogWindow) -> str:
    return (
        "the service wrote nothing while the grader sent its requests: write one JSON line per "
        "finished request to standard output"
        if not window.lines
        else ""
    )


def check_log_lines(probe: ObsProbe) -> Verdict:
    """Every line is a JSON object with the contract's fields; exactly one request line per
    finished request, with method, route, status and duration."""
    spec = LogSpec.from_contract(probe.contract)
    metrics = MetricsSpec.from_contract(probe.contract)
    offset = quiet_offset(probe)
    sent = send_counted_mix(probe, "logs")
    probe.mix.send(Planned("GET", metrics.path, metrics.path))  # exempt: its line is not judged
    if problem := first_problem(sent):
        return Verdict(0.0, f"not judged: {problem}")
    expected = Counter((s.planned.method, s.planned.route, str(s.status)) for s in sent)
    window = wait_for_lines(probe, offset, lambda w: len(w.request_lines(spec)) >= len(sent))
    if empty := _no_output(window):
        return Verdict(0.0, empty)
    problems: list[str] = []
    records = window.records
    if plain := [line for line, d in records if d is None]:
        problems.append(
            f"{len(plain)} of {len(records)} lines are not JSON objects, e.g. {_quote(plain[0])!r} "
            "(the grader captures stdout and stderr together: route every logger, uvicorn's "
            "included, through your JSON formatter, and turn uvicorn's access log off)"
        )
    missing: list[str] = []
    for line, document in records:
        if document is None:
            continue
        absent = [f for f in spec.fields if f not in document]
        wrong = [p for f in spec.fields if f in document if (p := field_problem(f, document[f]))]
        if absent or wrong:
            what = (f"no {', '.join(absent)}" if absent else "") + (
                "; " if absent and wrong else ""
            )
            missing.append(f"{what}{'; '.join(wrong[:2])} in {_quote(line)!r}")
    if missing:
        problems.append(f"{len(missing)} JSON lines lack a required field: {missing[0]}")
    elif len(plain) == len(records):
        problems.append(f"no JSON line carries {', '.join(spec.fields)}: there is no JSON line")
    lines = [d for d in window.request_lines(spec) if d.get(spec.route) != metrics.path]
    seen = Counter(_line_key(spec, d) for d in lines)
    if wrong_counts := [
        f"{' '.join(k)}: {n} sent, {seen.get(k, 0)} lines"
        for k, n in sorted(expected.items())
        if seen.get(k, 0) != n
    ]:
        extra = [f"{' '.join(k)}: {n} lines" for k, n in sorted(seen.items()) if k not in expected]
        problems.append(
            f"not exactly one {spec.request_message!r} line per request (method route status): "
            + "; ".join(wrong_counts[:5] + extra[:3])
        )
    bad = [
        p
        for d in lines
        for f in spec.request_fields
        if (p := field_problem(f, d.get(f)) if f in d else f"no {f}")
    ]
    if bad or not lines:
        problems.append(
            f"{spec.request_message!r} lines must carry {', '.join(spec.request_fields)}: "
            + (bad[0] if bad else "no such line was written")
        )
    if not window.kept:
        problems.append("the service wrote so much that the grader's capture dropped part of it")
    return share(
        problems,
        4,
        f"{len(records)} JSON lines with {', '.join(spec.fields)}; one {spec.request_message!r} "
        f"line for each of the {len(sent)} requests",
    )


def check_request_ids(probe: ObsProbe) -> Verdict:
    """The caller's valid X-Request-ID comes back unchanged on every status, invalid ones are
    replaced by a generated id, and the ids are the request lines' request_id."""
    spec = LogSpec.from_contract(probe.contract)
    metrics = MetricsSpec.from_contract(probe.contract)
    header = request_id_header(probe.contract)
    rule = probe.contract["response_headers"][header]
    pattern = re.compile(rule["pattern"])
    longest = int(probe.contract["limits"]["max_request_id_length"])
    rng = probe.rng("request_id")
    tag = f"grader-{rng.randrange(16**8):08x}"
    customer = probe.customers(rng, 1)[0]
    path, _ = unknown_path(rng, "rid-")
    echoed = [
        Planned("GET", HEALTH, HEALTH, request_id=f"{tag}-health"),
        Planned("POST", PREDICT, PREDICT, body=invalid_customer(customer), request_id=f"{tag}-422"),
        Planned("GET", path, metrics.unmatched_route, request_id=f"{tag}-404"),
        Planned(wrong_method(probe.contract, PREDICT), PREDICT, PREDICT, request_id=f"{tag}-405"),
        Planned("GET", HEALTH, HEALTH, request_id=(f"{tag}:~!/" + "x" * longest)[:longest]),
    ]
    replaced = [
        Planned("GET", HEALTH, HEALTH, request_id="y" * (longest + 1)),
        Planned("GET", HEALTH, HEALTH, request_id=f"{tag} with spaces"),
        Planned("GET", HEALTH, HEALTH, request_id=""),
    ]
    generated = [Planned("GET", HEALTH, HEALTH), Planned("GET", HEALTH, HEALTH)]
    offset = quiet_offset(probe)
    sent = probe.mix.send_all(echoed + replaced + generated)
    if problem := first_problem(sent):
        return Verdict(0.0, f"not judged: {problem}")
    got = [s.headers.get(header.lower()) for s in sent]
    problems: list[str] = []

    def describe(s: Sent) -> str:
        sent_id = s.planned.request_id
        if sent_id is None:
            shown = "no id"
        elif len(sent_id) > 40:
            shown = f"a {len(sent_id)}-character id"
        else:
            shown = repr(sent_id)
        return f"{s.planned.describe()} ({s.status}) with {shown}"

    def returned(value: str | None) -> str:
        return f"came back as {value!r}" if value is not None else f"came back without {header}"

    e = len(echoed)
    if not_echoed := [
        f"{describe(s)} {returned(g)}"
        for s, g in zip(sent[:e], got[:e], strict=True)
        if g != s.planned.request_id
    ]:
        problems.append(
            f"a valid {header} must come back unchanged, on errors too: "
            + "; ".join(not_echoed[:3])
        )
    not_replaced = [
        f"{describe(s)} {returned(g)}"
        for s, g in zip(sent[e:], got[e:], strict=True)
        if not g or not pattern.fullmatch(g) or g == s.planned.request_id
    ]
    fresh = [g for g in got[e:] if g]
    if len(set(fresh)) != len(fresh):
        not_replaced.append(f"the generated ids repeat: {', '.join(fresh)}")
    if not_replaced:
        problems.append(
            f"an invalid or absent {header} must be replaced by a new generated id matching "
            f"{rule['pattern']}: " + "; ".join(not_replaced[:3])
        )
    # The id each request's line must carry: the one the response returned (or the grader's).
    wanted = {
        (s.planned.request_id if i < e else got[i]): s
        for i, s in enumerate(sent)
        if i < e or got[i]
    }
    window = wait_for_lines(
        probe,
        offset,
        lambda w: {d.get(spec.request_id) for d in w.request_lines(spec)} >= set(wanted),
    )
    by_id = Counter(d.get(spec.request_id) for d in window.request_lines(spec))
    if unlogged := [
        f"{describe(s)}: {by_id.get(rid, 0)} lines with {spec.request_id} {_quote(str(rid))!r}"
        for rid, s in wanted.items()
        if by_id.get(rid, 0) != 1
    ] + [
        f"{describe(s)}: no id came back to look for"
        for i, s in enumerate(sent)
        if i >= e and not got[i]
    ]:
        problems.append(
            f"each request needs exactly one {spec.request_message!r} line whose "
            f"{spec.request_id} is the id in its response: " + "; ".join(unlogged[:3])
        )
    intro = (
        f"No response carried {header}: take the caller's id (or generate one) in a middleware "
        "and set it on every response, errors and unknown paths included."
        if not any(got)
        else ""
    )
    return share(
        problems,
        3,
        intro=intro,
        ok_text=f"{header} echoed on 200, 422, 404 and 405 answers, replaced when invalid or absent, "
        f"and the request lines carry it ({len(sent)} requests)",
    )
