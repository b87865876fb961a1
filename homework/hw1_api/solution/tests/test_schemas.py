"""app/schemas.py: the pydantic models say what the contract says, in requests and responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.schemas import Customer, FeatureInfo, Metrics, Prediction

CONTRACT = json.loads((Path(__file__).parent / "public" / "contract.json").read_text())
BOUNDS = ("minimum", "maximum", "minLength", "maxLength")


def _main_variant(spec: dict[str, Any]) -> dict[str, Any]:
    """The non-null alternative of a pydantic ``X | None`` property (or the property itself)."""
    return next(v for v in spec.get("anyOf", [spec]) if v.get("type") != "null")


def _expected_bounds(spec: dict[str, Any]) -> dict[str, Any]:
    """The contract's bounds; a 0/1 flag (an integer enum) is the range 0..1."""
    bounds = {k: spec.get(k) for k in BOUNDS}
    if spec.get("type") == "integer" and "enum" in spec:
        bounds.update(minimum=min(spec["enum"]), maximum=max(spec["enum"]))
    return bounds


@pytest.mark.parametrize("field", CONTRACT["$defs"]["Customer"]["properties"])
def test_customer_bounds_match_the_contract(field: str) -> None:
    contract = CONTRACT["$defs"]["Customer"]["properties"][field]
    ours = _main_variant(Customer.model_json_schema()["properties"][field])
    assert {k: ours.get(k) for k in BOUNDS} == _expected_bounds(contract)
    assert ours.get("enum") == contract.get("enum")


def test_customer_forbids_unknown_fields() -> None:
    assert Customer.model_json_schema()["additionalProperties"] is False


# --- responses: the service never emits what the contract forbids -----------------------------


def prediction(probability: float) -> dict[str, Any]:
    return {
        "customer_id": None,
        "churn": probability >= 0.5,
        "churn_probability": probability,
        "model_version": "1.0.0",
    }


@pytest.mark.parametrize("probability", [0.0, 0.5, 1.0])
def test_prediction_accepts_probabilities(probability: float) -> None:
    assert Prediction(**prediction(probability)).churn_probability == probability


@pytest.mark.parametrize("probability", [-0.01, 1.01, 2.0])
def test_prediction_refuses_a_probability_outside_0_1(probability: float) -> None:
    with pytest.raises(ValidationError, match="churn_probability"):
        Prediction(**prediction(probability))


METRIC_RATES = ["roc_auc", "accuracy", "train_label_rate", "train_flag_rate"]


def metrics(**changes: float) -> dict[str, float]:
    return {
        "roc_auc": 0.85,
        "accuracy": 0.8,
        "train_label_rate": 0.26,
        "train_flag_rate": 0.2,
        **changes,
    }


@pytest.mark.parametrize("field", METRIC_RATES)
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_metrics_accept_rates_from_0_to_1(field: str, value: float) -> None:
    assert getattr(Metrics(**metrics(**{field: value})), field) == value


@pytest.mark.parametrize("field", METRIC_RATES)
@pytest.mark.parametrize("value", [-0.01, 1.01, 1.5])
def test_metrics_refuse_rates_outside_0_1(field: str, value: float) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Metrics(**metrics(**{field: value}))
    assert [e["loc"] for e in excinfo.value.errors()] == [(field,)]


def test_metrics_keep_extra_entries() -> None:
    assert Metrics(**metrics(), n_train=4485).model_dump()["n_train"] == 4485


def test_feature_info_is_not_nullable_unless_said() -> None:
    feature = FeatureInfo(name="tenure", type="integer")
    assert feature.nullable is False
    assert FeatureInfo(name="total_charges", type="number", nullable=True).nullable is True
