"""The service as an operator sees it: request ids, what /metrics says, one log line per request."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

HEX_ID = re.compile(r"[0-9a-f]{32}")
LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, float("inf")]
RISK = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, float("inf")]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/health", None, 200),
        ("POST", "/predict", {"tenure": 1}, 422),
        ("GET", "/no/such/page", None, 404),
        ("DELETE", "/predict", None, 405),
        ("GET", "/metrics", None, 200),
    ],
)
def test_a_valid_request_id_comes_back_on_every_answer(http, method, path, body, status) -> None:
    mine = "caller-42:~!/" + "x" * 115  # 128 visible characters, the longest allowed
    reply = http.request(method, path, json=body, headers={"X-Request-ID": mine})
    assert reply.status_code == status
    assert reply.headers["x-request-id"] == mine


@pytest.mark.parametrize(
    "given", [b"", b"has space", b"y" * 129, b"tab\there", "ünï".encode(), b"\x7f"]
)
def test_an_invalid_request_id_is_replaced_by_a_new_one(http, given) -> None:
    first = http.get("/health", headers={"X-Request-ID": given}).headers["x-request-id"]
    second = http.get("/health", headers={"X-Request-ID": given}).headers["x-request-id"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second)
    assert first != second


def test_without_a_request_id_each_answer_gets_its_own(http) -> None:
    ids = {http.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3 and all(HEX_ID.fullmatch(i) for i in ids)


def test_the_request_counter_moves_by_exactly_what_was_sent(http, sample, reading) -> None:
    plan = [
        ("POST", "/predict", "/predict", 200),
        ("POST", "/predict/batch", "/predict/batch", 200),
        ("POST", "/predict", "/predict", 422),
        ("GET", "/wp-login.php", "__unmatched__", 404),
        ("GET", "/predictions/zero", "/predictions/{id}", 422),
        ("GET", "/predictions/999999999", "/predictions/{id}", 404),
        ("PUT", "/predictions", "/predictions", 405),
    ]
    keys = {(m, r, s) for m, _, r, s in plan}

    def counts() -> dict[tuple[str, str, int], float]:
        return {
            (m, r, s): reading("http_requests_total", method=m, route=r, status=str(s))
            for m, r, s in keys
        }

    before = counts()
    bodies = {"/predict": sample, "/predict/batch": {"customers": [sample, sample]}}
    for method, path, _, status in plan:
        body = {"tenure": -1} if status == 422 and method == "POST" else bodies.get(path)
        assert http.request(method, path, json=body).status_code == status
    http.get("/metrics")
    after = counts()
    assert {k: after[k] - before[k] for k in keys} == dict.fromkeys(keys, 1.0)


def test_metrics_scrapes_are_not_counted(http, reading) -> None:
    before = reading("http_requests_total", method="GET", route="/metrics", status="200")
    for _ in range(3):
        assert http.get("/metrics").status_code == 200
    assert reading("http_requests_total", method="GET", route="/metrics", status="200") == before
    assert reading("http_request_duration_seconds_count", method="GET", route="/metrics") == 0


def test_latency_is_observed_once_per_request_in_seconds(http, sample, reading) -> None:
    labels = {"method": "POST", "route": "/predict"}
    count = reading("http_request_duration_seconds_count", **labels)
    total = reading("http_request_duration_seconds_sum", **labels)
    fast = reading("http_request_duration_seconds_bucket", le="5.0", **labels)
    for _ in range(4):
        http.post("/predict", json=sample)
    assert reading("http_request_duration_seconds_count", **labels) == count + 4
    assert reading("http_request_duration_seconds_bucket", le="5.0", **labels) == fast + 4
    assert 0 < reading("http_request_duration_seconds_sum", **labels) - total < 4 * 5.0


def test_predictions_are_counted_by_outcome_with_their_probability(http, sample, reading) -> None:
    loyal = dict(sample, tenure=70, contract="Two year", total_charges=2100.0)
    before = {o: reading("predictions_total", outcome=o) for o in ("churn", "no_churn")}
    count = reading("prediction_probability_count")
    total = reading("prediction_probability_sum")
    answers = [http.post("/predict", json=sample).json()]
    answers += http.post("/predict/batch", json={"customers": [loyal, sample, loyal]}).json()[
        "predictions"
    ]
    assert http.post("/predict", json=dict(sample, tenure=-1)).status_code == 422
    flagged = sum(a["churn"] for a in answers)
    assert 0 < flagged < len(answers)
    assert reading("predictions_total", outcome="churn") - before["churn"] == flagged
    assert reading("predictions_total", outcome="no_churn") - before["no_churn"] == 4 - flagged
    assert reading("prediction_probability_count") - count == 4
    assert reading("prediction_probability_sum") - total == pytest.approx(
        sum(a["churn_probability"] for a in answers)
    )


def test_the_probability_histogram_puts_each_answer_in_its_bucket(http, sample, reading) -> None:
    risk = http.post("/predict", json=sample).json()["churn_probability"]  # about 0.62
    below, above = (
        reading("prediction_probability_bucket", le="0.6"),
        reading("prediction_probability_bucket", le="0.7"),
    )
    http.post("/predict", json=sample)
    assert 0.6 < risk <= 0.7
    assert reading("prediction_probability_bucket", le="0.6") == below
    assert reading("prediction_probability_bucket", le="0.7") == above + 1


def test_the_exposition_has_every_family_with_its_type_labels_and_buckets(http, sample) -> None:
    http.post("/predict", json=sample)
    reply = http.get("/metrics")
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(reply.text)}
    expected = {
        "http_requests": ("counter", {"method", "route", "status"}),
        "http_request_duration_seconds": ("histogram", {"method", "route"}),
        "http_requests_in_progress": ("gauge", set()),
        "predictions": ("counter", {"outcome"}),
        "prediction_probability": ("histogram", set()),
        "model_info": ("gauge", {"version"}),
    }
    for name, (kind, labels) in expected.items():
        assert families[name].type == kind, name
        for s in families[name].samples:
            assert set(s.labels) - {"le"} == labels, (name, s)
    outcomes = {s.labels["outcome"] for s in families["predictions"].samples}
    assert outcomes == {"churn", "no_churn"}

    def bounds(name: str, **labels: str) -> list[float]:
        return [
            float(s.labels["le"])
            for s in families[name].samples
            if s.name.endswith("_bucket") and labels.items() <= s.labels.items()
        ]

    assert bounds("http_request_duration_seconds", method="POST", route="/predict") == LATENCY
    assert bounds("prediction_probability") == RISK


def test_model_info_names_the_served_version(http, reading) -> None:
    version = http.get("/model").json()["version"]
    assert reading("model_info", version=version) == 1
    text = http.get("/metrics").text
    assert len(re.findall(r"^model_info\{", text, re.M)) == 1


def test_no_request_is_in_progress_between_requests(http, reading) -> None:
    http.get("/health")
    assert reading("http_requests_in_progress") == 0


def test_one_json_line_per_request_carries_its_id_and_timing(http, sample, lines, reading) -> None:
    total = reading("http_request_duration_seconds_sum", method="POST", route="/predict")
    reply = http.post("/predict", json=sample, headers={"X-Request-ID": "log-me-1"})
    moved = reading("http_request_duration_seconds_sum", method="POST", route="/predict") - total
    mine = [line for line in lines() if line["request_id"] == "log-me-1"]
    assert [line["message"] for line in mine] == ["request finished"]
    (line,) = mine
    assert (line["method"], line["route"], line["status"]) == ("POST", "/predict", 200)
    assert line["duration_ms"] == pytest.approx(moved * 1000, abs=0.01)
    assert line["logger"] == "churn.requests" and line["level"] == "INFO"
    assert reply.headers["x-request-id"] == "log-me-1"
    assert "7590-VHVEG" not in str(line)  # no request body, no customer id


def test_error_answers_are_logged_with_their_template_and_status(http, lines) -> None:
    http.get("/predictions/abc", headers={"X-Request-ID": "bad-id-1"})
    http.get("/nothing/here", headers={"X-Request-ID": "bad-path-1"})
    by_id = {line["request_id"]: line for line in lines() if line["message"] == "request finished"}
    assert (by_id["bad-id-1"]["route"], by_id["bad-id-1"]["status"]) == ("/predictions/{id}", 422)
    assert (by_id["bad-path-1"]["route"], by_id["bad-path-1"]["status"]) == ("__unmatched__", 404)


def test_metrics_requests_write_no_line(http, lines) -> None:
    http.get("/metrics", headers={"X-Request-ID": "scrape-1"})
    assert not [line for line in lines() if line["request_id"] == "scrape-1"]


def test_the_document_lists_metrics(http) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert "text/plain" in paths["/metrics"]["get"]["responses"]["200"]["content"]
