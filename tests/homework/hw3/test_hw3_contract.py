"""The hw3 contract (grader/contracts/hw3.json) extends hw2's without changing it, names what the
grader relies on, and the files starter and solution share with their sources are identical."""

from __future__ import annotations

import json

import jsonschema
import pytest

from grader.contracts import render_contract_markdown, render_observability_markdown
from tests.homework.hw3 import _hw3

HW2 = json.loads(_hw3.HW2_CONTRACT_PATH.read_text())
HW3 = _hw3.CONTRACT
OBSERVABILITY = HW3["observability"]
HW2_SOLUTION = _hw3.ROOT / "homework" / "hw2_db_k8s" / "solution"


def endpoints(contract: dict) -> dict[tuple[str, str], dict]:
    return {(e["method"], e["path"]): e for e in contract["endpoints"]}


def test_valid_json_schema_that_renders() -> None:
    jsonschema.Draft202012Validator.check_schema(HW3)
    assert HW3["homework"] == "hw3" and HW3["extends"] == "hw2"
    table = render_contract_markdown(HW3)
    assert "`/metrics`" in table
    rendered = render_observability_markdown(HW3)
    for family in OBSERVABILITY["metrics"]["families"]:
        assert f"`{family['name']}`" in rendered
    for alert in OBSERVABILITY["alerts"]:
        assert f"`{alert['name']}` | `{alert['severity']}`" in rendered


def test_hw2_is_kept_unchanged() -> None:
    assert {k: HW3["$defs"][k] for k in HW2["$defs"]} == HW2["$defs"]
    assert HW3["database"] == HW2["database"]
    for key, value in HW2["limits"].items():
        assert HW3["limits"][key] == value, key
    new = endpoints(HW3)
    for key, endpoint in endpoints(HW2).items():
        assert new[key] == endpoint, f"hw3 changes {key}"
    assert set(new) - set(endpoints(HW2)) == {("GET", "/metrics")}


def test_the_names_the_grader_relies_on() -> None:
    metrics = OBSERVABILITY["metrics"]
    families = {f["name"]: (f["type"], f["labels"]) for f in metrics["families"]}
    assert families == {
        "http_requests_total": ("counter", ["method", "route", "status"]),
        "http_request_duration_seconds": ("histogram", ["method", "route"]),
        "http_requests_in_progress": ("gauge", []),
        "predictions_total": ("counter", ["outcome"]),
        "prediction_probability": ("histogram", []),
        "model_info": ("gauge", ["version"]),
    }
    duration = next(f for f in metrics["families"] if f["name"] == "http_request_duration_seconds")
    assert HW3["limits"]["latency_target_p95_s"] in duration["buckets"]
    assert metrics["unmatched_route"] == "__unmatched__"
    assert metrics["counts_metrics_requests"] is False
    assert list(OBSERVABILITY["logs"]["fields"]) == [
        "ts",
        "level",
        "logger",
        "message",
        "request_id",
    ]
    assert list(OBSERVABILITY["logs"]["request_line"]["fields"]) == [
        "method",
        "route",
        "status",
        "duration_ms",
    ]
    assert {a["name"]: a["severity"] for a in OBSERVABILITY["alerts"]} == {
        "ServiceDown": "critical",
        "High5xxRatio": "critical",
        "SlowPredictions": "warning",
        "FlaggedShareDrift": "warning",
    }
    assert OBSERVABILITY["prometheus"]["job_name"] == "churn-api"


def test_the_model_alert_compares_the_flag_share_with_the_flag_rate() -> None:
    (alert,) = [a for a in OBSERVABILITY["alerts"] if a["name"] == "FlaggedShareDrift"]
    assert "train_flag_rate" in alert["fires_when"]
    assert "train_label_rate" not in alert["fires_when"]
    metrics = json.loads((_hw3.SOLUTION / "model" / "metrics.json").read_text())
    assert 0 < metrics["train_flag_rate"] < metrics["train_label_rate"]


def test_the_request_id_pattern() -> None:
    pattern = HW3["response_headers"]["X-Request-ID"]["pattern"]
    validator = jsonschema.Draft202012Validator({"type": "string", "pattern": pattern})
    assert validator.is_valid("abc-123") and validator.is_valid("x" * 128)
    assert not validator.is_valid("") and not validator.is_valid("has space")
    assert not validator.is_valid("x" * 129)


# --- copies that must stay identical ------------------------------------------------------------

COPIES = {
    "tests/public/contract.json": _hw3.CONTRACT_PATH,
    "tests/public/test_public_api.py": _hw3.SOLUTION / "tests" / "public" / "test_public_api.py",
    "data/train.csv": _hw3.ROOT / "data" / "train.csv",
    "training/train.py": HW2_SOLUTION / "training" / "train.py",
    "app/schemas.py": HW2_SOLUTION / "app" / "schemas.py",
    "model/model.json": HW2_SOLUTION / "model" / "model.json",
    "model/metrics.json": HW2_SOLUTION / "model" / "metrics.json",
    "uv.lock": _hw3.SOLUTION / "uv.lock",
    "locustfile.py": _hw3.SOLUTION / "locustfile.py",
}


@pytest.mark.parametrize("repo", ["solution", "starter"])
@pytest.mark.parametrize("relative", sorted(COPIES))
def test_copies_are_byte_identical(repo: str, relative: str) -> None:
    copy = _hw3.HW3 / repo / relative
    assert copy.read_bytes() == COPIES[relative].read_bytes(), (
        f"{copy} differs from {COPIES[relative]}: copy it again"
    )


@pytest.mark.parametrize("name", ["test_public_api.py", "contract.json"])
def test_the_graders_public_tests_are_the_students(name: str) -> None:
    """What the grader runs as tests.public is exactly what the starter and solution carry."""
    graders = _hw3.ROOT / "grader" / "suites" / "hw3" / "public" / name
    assert graders.read_bytes() == (_hw3.SOLUTION / "tests" / "public" / name).read_bytes()
