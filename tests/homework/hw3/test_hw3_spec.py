"""The hw3 spec (homework/hw3_ci_monitoring/README.md).

* released (no draft mark), its generated blocks up to date, the rubric placeholder present until
  the grader's hw3 rubric exists;
* every example runs, in the README's order, against the real solution server and a fresh
  PostgreSQL: HTTP examples (``<!-- example: METHOD PATH STATUS [request-id=ID] -->`` + request
  and response json fences; objects compared by the keys shown, numbers within 1e-4, 422 bodies by
  (loc, type), the request id echoed), the log example (the service's JSON line of that request
  id; ``ts`` and ``duration_ms`` only checked for presence) and the metrics example (every line
  shown is in the scrape, values included).
"""

from __future__ import annotations

import json
import re
import time

from grader.paths import DEFAULT_SUITES_DIR
from grader.render_blocks import update_generated_blocks
from tests.homework.hw2._hw2 import Postgres
from tests.homework.hw2.test_hw2_spec import _mismatches
from tests.homework.hw3 import _hw3

README = _hw3.SPEC.read_text()
MARKER = re.compile(r"<!-- (?:example|log-example|metrics-example).*? -->")
EXAMPLE = re.compile(
    r"<!-- example: (?P<method>GET|POST) (?P<path>/\S*) (?P<status>\d{3})"
    r"(?: request-id=(?P<request_id>\S+))? -->\n"
    r"```json\n(?P<request>.*?)\n```\n"
    r"```json\n(?P<response>.*?)\n```",
    re.DOTALL,
)
LOG_EXAMPLE = re.compile(
    r"<!-- log-example: request-id=(?P<request_id>\S+) -->\n```json\n(?P<line>.*?)\n```", re.DOTALL
)
METRICS_EXAMPLE = re.compile(r"<!-- metrics-example -->\n```text\n(?P<text>.*?)\n```", re.DOTALL)
VARYING_LOG_KEYS = {"ts", "duration_ms"}


def steps() -> list[tuple[int, str, dict[str, str]]]:
    """Every example in README order: (position, kind, its fields)."""
    found = [(m.start(), "http", m.groupdict()) for m in EXAMPLE.finditer(README)]
    found += [(m.start(), "log", m.groupdict()) for m in LOG_EXAMPLE.finditer(README)]
    found += [(m.start(), "metrics", m.groupdict()) for m in METRICS_EXAMPLE.finditer(README)]
    return sorted(found, key=lambda step: step[0])


def test_the_spec_is_released() -> None:
    assert "Draft" not in README and "planned" not in README.lower()
    for heading in ("## Learning goals", "## Your tasks", "## The contract", "## Examples"):
        assert heading in README
    for heading in ("## How it will be graded", "## Check your work before you push"):
        assert heading in README
    for kept in ("instrumentation must not change a single answer", "train_flag_rate"):
        assert kept in README


def test_generated_blocks_are_up_to_date() -> None:
    for block in ("contract hw3", "observability hw3"):
        assert f"<!-- BEGIN GENERATED: {block} -->" in README
    assert update_generated_blocks(README) == README, "re-render the README's generated blocks"


def test_rubric_placeholder_until_the_rubric_exists() -> None:
    if (DEFAULT_SUITES_DIR / "hw3" / "rubric.toml").is_file():
        assert "<!-- BEGIN GENERATED: rubric hw3 -->" in README, "render the rubric block now"
    else:
        assert "<!-- RUBRIC PLACEHOLDER (hw3)" in README
        assert "GENERATED: rubric hw3" not in README


def test_every_marker_is_well_formed_and_all_kinds_are_there() -> None:
    assert len(MARKER.findall(README)) == len(steps()), "a marker without its fences"
    kinds = [kind for _, kind, _ in steps()]
    assert kinds.count("log") == 1 and kinds.count("metrics") == 1
    assert any(f.get("request_id") for _, kind, f in steps() if kind == "http")


def test_readme_examples_run_in_order_against_the_solution(postgres: Postgres) -> None:
    problems: list[str] = []
    with _hw3.served(_hw3.SOLUTION, postgres.create_database()) as service:
        for _, kind, fields in steps():
            if kind == "http":
                problems += _run_http(service.url, fields)
            elif kind == "log":
                problems += _check_log(service, fields)
            else:
                problems += _check_metrics(service.url, fields["text"])
    assert not problems, "\n".join(problems)


def _run_http(url: str, example: dict[str, str]) -> list[str]:
    name = f"{example['method']} {example['path']} {example['status']}"
    body = example["request"].encode() if example["method"] == "POST" else None
    headers = {"X-Request-ID": example["request_id"]} if example["request_id"] else {}
    status, got_headers, payload = _hw3.request(
        url, example["method"], example["path"], body, headers
    )
    actual = json.loads(payload)
    expected = json.loads(example["response"])
    problems = []
    if example["request_id"] and got_headers.get("x-request-id") != example["request_id"]:
        problems.append(f"{name}: X-Request-ID {got_headers.get('x-request-id')!r} not echoed")
    if status != int(example["status"]):
        return [*problems, f"{name}: got {status}: {json.dumps(actual)[:300]}"]
    if status == 422:
        shown = [(item["loc"], item["type"]) for item in expected["detail"]]
        got = [(item["loc"], item["type"]) for item in actual["detail"]]
        return problems + ([f"{name}: {got} != {shown}"] if got != shown else [])
    return problems + [f"{name}: {p}" for p in _mismatches(expected, actual)]


def _check_log(service: _hw3.Service, example: dict[str, str]) -> list[str]:
    """The request's line, once written: the service logs a request after its response has gone."""
    expected = json.loads(example["line"])
    deadline = time.monotonic() + 5.0
    while True:
        lines = [json.loads(line) for line in service.log_lines() if example["request_id"] in line]
        finished = [line for line in lines if line.get("message") == expected["message"]]
        if finished or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if len(finished) != 1:
        return [f"log example: expected one line, found {lines}"]
    (line,) = finished
    problems = [f"log example: {key} missing" for key in VARYING_LOG_KEYS if key not in line]
    compared = {k: v for k, v in expected.items() if k not in VARYING_LOG_KEYS}
    return problems + [f"log example: {p}" for p in _mismatches(compared, line)]


def _check_metrics(url: str, text: str) -> list[str]:
    """The excerpt's lines in a scrape, once the last request is counted: like its log line, the
    service records a request after its response has gone."""
    deadline = time.monotonic() + 5.0
    while True:
        _, _, payload = _hw3.request(url, "GET", "/metrics")
        scraped = set(payload.decode().splitlines())
        missing = [line for line in text.splitlines() if line not in scraped]
        if not missing or time.monotonic() > deadline:
            return [f"metrics example: {line!r} not in the scrape" for line in missing]
        time.sleep(0.05)
