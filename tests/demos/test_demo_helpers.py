"""The demos' shared helpers: contract-derived inputs, validation, the course model, sample data."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jsonschema
import numpy as np
import pytest

from demos import _common
from demos._common import (
    CourseModel,
    course_model,
    feature_specs,
    format_duration,
    format_rate,
    holdout_frame,
    to_records,
    validation_errors,
)
from demos.sample_reports import main as sample_main
from demos.sample_reports import sample_class
from grader.contracts import load_contract
from grader.report.model import SCHEMA_PATH
from grader.rubric import load_rubric


def solution_model_module() -> ModuleType:
    """The reference solution's app/model.py, loaded by path without writing bytecode."""
    path = _common.SOLUTION_DIR / "app" / "model.py"
    spec = importlib.util.spec_from_file_location("demo_tests_solution_model", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
        del sys.modules[spec.name]
    return module


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return to_records(holdout_frame())


def test_feature_specs_follow_the_contract() -> None:
    customer = load_contract("hw1")["$defs"]["Customer"]
    specs = {s.name: s for s in feature_specs()}
    assert list(specs) == customer["required"]
    assert specs["contract"].options == ("Month-to-month", "One year", "Two year")
    assert specs["female"].options == (0, 1) and specs["female"].type == "integer"
    assert (specs["tenure"].minimum, specs["tenure"].maximum) == (0, 120)
    assert specs["total_charges"].nullable and not specs["monthly_charges"].nullable


def test_course_model_matches_the_reference_solution(records: list[dict[str, Any]]) -> None:
    module = solution_model_module()
    reference = module.ChurnModel.load(_common.MODEL_PATH, _common.METRICS_PATH)
    expected = np.array([reference.churn_probability(r) for r in records])
    model = course_model()
    assert np.abs(np.array([model.probability(r) for r in records]) - expected).max() < 1e-12
    assert np.abs(np.array([model.fast.probability(r) for r in records]) - expected).max() < 1e-12
    assert np.abs(model.fast.probabilities(records) - expected).max() < 1e-12
    assert any(r["total_charges"] is None for r in records)  # the imputation path is covered


def test_contributions_add_up_to_the_logit(records: list[dict[str, Any]]) -> None:
    model = CourseModel.load()
    customer = records[0]
    parts = model.explain(customer)
    assert [p.feature for p in parts] == list(model.features)
    z = model.intercept + sum(p.contribution for p in parts)
    assert 1 / (1 + np.exp(-z)) == pytest.approx(model.probability(customer))
    contract = next(p for p in parts if p.feature == "contract")
    assert contract.encoded == 1.0
    column = model.categories["contract"][customer["contract"]]
    assert contract.contribution == model.coef[column]


INVALID: dict[str, Any] = {
    "negative tenure": {"tenure": -1},
    "unknown contract": {"contract": "Weekly"},
    "string number": {"monthly_charges": "12"},
    "boolean flag": {"female": True},
    "extra field": {"colour": "blue"},
    "missing field": {"female": None},  # None here means: remove the field
    "too many charges": {"total_charges": 1e9},
}


def broken(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(base)
    for key, value in change.items():
        if value is None and key in document and key != "total_charges":
            del document[key]
        else:
            document[key] = value
    return document


def test_valid_customers_have_no_errors(records: list[dict[str, Any]]) -> None:
    assert all(validation_errors(r) == [] for r in records[:200])
    assert validation_errors({**records[0], "customer_id": "c-1"}) == []
    assert validation_errors({**records[0], "total_charges": None}) == []


@pytest.mark.parametrize("case", list(INVALID))
def test_errors_name_the_same_field_as_the_service(
    case: str, records: list[dict[str, Any]], solution_service: str
) -> None:
    document = broken(records[0], INVALID[case])
    ours = {tuple(item["loc"]) for item in validation_errors(document)}
    assert ours, case
    response = httpx.post(f"{solution_service}/predict", json=document, trust_env=False)
    assert response.status_code == 422
    theirs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert ours == theirs


def test_error_items_have_the_fastapi_shape(records: list[dict[str, Any]]) -> None:
    schema = load_contract("hw1")["$defs"]["ValidationError"]
    errors = validation_errors(broken(records[0], {"tenure": 500, "contract": "x"}))
    jsonschema.validate({"detail": errors}, schema)
    messages = {item["loc"][-1]: item["msg"] for item in errors}
    assert messages["tenure"] == "Input should be less than or equal to 120"
    assert messages["contract"] == "Input should be 'Month-to-month', 'One year' or 'Two year'"


def test_sample_class_is_deterministic_and_schema_valid() -> None:
    first, second = sample_class(), sample_class()
    assert [r.to_dict() for r in first.reports] == [r.to_dict() for r in second.reports]
    assert first.gradebooks == second.gradebooks
    assert [r.to_dict() for r in sample_class(seed=1).reports] != [
        r.to_dict() for r in first.reports
    ]
    schema = json.loads(SCHEMA_PATH.read_text())
    rubric_ids = [c.id for c in load_rubric("hw1").checks]
    assert len(first.reports) == 20 and len({r.student_id for r in first.reports}) == 20
    for report in first.reports:
        jsonschema.validate(report.to_dict(), schema)
        assert [c.id for c in report.checks] == rubric_ids
    statuses = {c.status for r in first.reports for c in r.checks}
    assert {"passed", "failed"} <= statuses
    assert set(first.gradebooks) == {"hw1", "hw2", "hw3"}
    assert all(len(rows) == 20 for rows in first.gradebooks.values())


def test_sample_reports_script_writes_a_batch_layout(tmp_path: Path) -> None:
    assert sample_main(["--out", str(tmp_path), "--students", "4"]) == 0
    assert len(list(tmp_path.glob("*/report.json"))) == 4
    assert sorted(p.name for p in tmp_path.glob("gradebook-*.csv")) == [
        "gradebook-hw1.csv",
        "gradebook-hw2.csv",
        "gradebook-hw3.csv",
    ]


def test_formatting() -> None:
    assert format_duration(1.62e-6) == "1.62 µs"
    assert format_duration(223.4e-6) == "223 µs"
    assert format_duration(0.0165) == "16.5 ms"
    assert format_duration(2.5) == "2.50 s"
    assert format_rate(486_123) == "486k/s"
    assert format_rate(14_934) == "14.9k/s"
    assert format_rate(47.2) == "47/s"
