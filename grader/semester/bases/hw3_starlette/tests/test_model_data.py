"""Data tests (the artefact agrees with the request schema) and behavioural tests of the model:
minimum functionality, invariance and directional expectations, through the weight table."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest

from app.records import Customer, feature_names
from app.scoring import ARTEFACT, GOLDEN, WeightTable

TABLE = WeightTable.read()
FIELDS = {f.name: f.type for f in msgspec.structs.fields(Customer)}
SCHEMA = msgspec.json.schema(Customer)["$defs"]["Customer"]["properties"]
BASE = {
    "female": 0,
    "senior_citizen": 0,
    "partner": 1,
    "dependents": 0,
    "tenure": 24,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "DSL",
    "online_security": "No",
    "online_backup": "No",
    "device_protection": "No",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "One year",
    "paperless_billing": 1,
    "payment_method": "Mailed check",
    "monthly_charges": 60.0,
    "total_charges": 1440.0,
}


def risk(**changes: object) -> float:
    return TABLE.risk(SimpleNamespace(**{**BASE, **changes}))


def literal_values(annotation: object) -> set[str]:
    """The strings a ``Literal[...]`` (possibly aliased) allows."""
    return {arg for arg in typing.get_args(annotation) if isinstance(arg, str)}


def test_every_category_the_model_knows_is_one_the_api_accepts_and_back() -> None:
    index = json.loads(Path(ARTEFACT).read_text())["categorical"]["index"]
    for feature, columns in index.items():
        assert set(columns) == literal_values(FIELDS[feature]), feature
    text_fields = {n for n in feature_names() if literal_values(FIELDS[n])}
    assert text_fields == set(index)


def test_the_numeric_features_and_their_fills_fit_the_schema() -> None:
    numeric = json.loads(Path(ARTEFACT).read_text())["numeric"]
    assert set(numeric["features"]) | set(TABLE.per_category) == set(feature_names())
    for feature, fill in zip(numeric["features"], numeric["impute_value"], strict=True):
        options = SCHEMA[feature].get("anyOf", [SCHEMA[feature]])
        spec = next(o for o in options if o.get("type") != "null")
        assert spec["minimum"] <= fill <= spec["maximum"], feature
    assert all(scale > 0 for scale in numeric["scale"])


def test_the_golden_metrics_describe_this_artefact() -> None:
    golden = json.loads(Path(GOLDEN).read_text())
    assert golden["model_version"] == TABLE.version and golden["threshold"] == TABLE.cutoff
    assert 0.8 <= golden["roc_auc"] <= 0.9 and 0.7 <= golden["accuracy"] <= 1
    # A calibrated model flags fewer customers than really churn (the drift alert depends on it).
    assert 0 < golden["train_flag_rate"] < golden["train_label_rate"] < 0.5


def test_minimum_functionality_a_textbook_churner_and_a_loyal_customer() -> None:
    churner = risk(
        tenure=1,
        contract="Month-to-month",
        internet_service="Fiber optic",
        payment_method="Electronic check",
        monthly_charges=95.0,
        total_charges=95.0,
    )
    loyal = risk(
        tenure=70,
        contract="Two year",
        internet_service="No",
        **dict.fromkeys(
            (
                "online_security",
                "online_backup",
                "device_protection",
                "tech_support",
                "streaming_tv",
                "streaming_movies",
            ),
            "No internet service",
        ),
        payment_method="Credit card (automatic)",
        monthly_charges=20.0,
        total_charges=1400.0,
    )
    assert churner > 0.6 and TABLE.flags(churner)
    assert loyal < 0.05 and not TABLE.flags(loyal)


@pytest.mark.parametrize(("field", "values"), [("female", (0, 1)), ("partner", (0, 1))])
def test_invariance_attributes_that_should_not_drive_the_answer(field, values) -> None:
    first, second = (risk(**{field: v}) for v in values)
    assert abs(first - second) < 0.02


def test_invariance_the_customer_id_changes_nothing(http, sample) -> None:
    answers = {
        http.post("/predict", json=dict(sample, customer_id=name)).json()["churn_probability"]
        for name in ("a", "someone-else", "x" * 64)
    }
    assert len(answers) == 1


def test_directional_a_longer_tenure_lowers_the_risk() -> None:
    risks = [risk(tenure=t, total_charges=60.0 * t) for t in (1, 12, 36, 72)]
    assert risks == sorted(risks, reverse=True) and risks[0] - risks[-1] > 0.2


@pytest.mark.parametrize(
    ("field", "worse", "better"),
    [
        ("tech_support", "No", "Yes"),
        ("online_security", "No", "Yes"),
        ("payment_method", "Electronic check", "Mailed check"),
        ("internet_service", "Fiber optic", "DSL"),
    ],
)
def test_directional_services_and_payment(field, worse, better) -> None:
    assert risk(**{field: worse}) > risk(**{field: better})


def test_a_missing_total_is_filled_like_training_did() -> None:
    assert risk(tenure=0, total_charges=None) == pytest.approx(risk(tenure=0, total_charges=0.0))
