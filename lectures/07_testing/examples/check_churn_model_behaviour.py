"""A real pytest suite for the churn model and its HTTP service.

The file is named ``check_*.py`` so the repository's own test run does not collect it; the
``pytest.ini`` next to it tells pytest to collect ``check_*.py`` when you run this folder:

    uv run pytest -p no:cacheprovider lectures/07_testing/examples/check_churn_model_behaviour.py
    uv run pytest -p no:cacheprovider lectures/07_testing/examples -m model   # one layer only

Layers (markers): ``data`` tests the input data, ``model`` tests the trained model
(CheckList-style behaviour + golden metrics), ``api`` tests the service through TestClient.
Set ``CHURN_CHECKS_BUG=id_feature`` to train a model that uses the customer id as a feature
and watch which tests catch it.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import roc_auc_score


def _sibling(name: str) -> ModuleType:
    """Import a module from this folder by path, sharing it with ``churn_api``'s loader."""
    key = f"lecture07_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


cc = _sibling("churn_checks")
api = _sibling("churn_api")

PREDICTION_SCHEMA = {
    "type": "object",
    "required": ["customer_id", "churn", "churn_probability", "model_version"],
    "properties": {
        "customer_id": {"type": ["string", "null"]},
        "churn": {"type": "boolean"},
        "churn_probability": {"type": "number", "minimum": 0, "maximum": 1},
        "model_version": {"type": "string", "minLength": 1},
    },
}


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def data() -> pd.DataFrame:
    """The full course dataset, read once per test session."""
    return cc.load_data()


@pytest.fixture(scope="session")
def splits(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fixed train/test split."""
    return cc.split(data)


@pytest.fixture(scope="session")
def model(splits: tuple[pd.DataFrame, pd.DataFrame]) -> Any:
    """The trained model; ``CHURN_CHECKS_BUG`` plants a bug for demonstration."""
    train, _ = splits
    return cc.train_model(train, bug=os.environ.get(cc.BUG_ENV) or None)


@pytest.fixture(scope="session")
def seen_customers(splits: tuple[pd.DataFrame, pd.DataFrame]) -> list[dict[str, Any]]:
    """100 customers from the training split, with their real ids."""
    return cc.records(splits[0].head(100))


@pytest.fixture
def client(model: Any) -> TestClient:
    """A fresh in-process client for every test (the app reads its env at creation)."""
    return TestClient(api.create_app(model))


@pytest.fixture
def customer() -> dict[str, Any]:
    """A valid request body; function scope, so a test may mutate its own copy."""
    return {"customer_id": "C-test-1", **cc.at_risk_customer()}


# ----------------------------------------------------------------------------- data tests
BINARY = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]


@pytest.mark.data
def test_schema_has_every_feature_and_target(data: pd.DataFrame) -> None:
    assert set(cc.FEATURES) | {cc.TARGET, cc.ID_COLUMN} == set(data.columns)


@pytest.mark.data
@pytest.mark.parametrize("column", BINARY)
def test_binary_columns_hold_only_0_and_1(data: pd.DataFrame, column: str) -> None:
    assert set(data[column].unique()) <= {0, 1}


@pytest.mark.data
def test_nulls_only_in_total_charges_of_new_customers(data: pd.DataFrame) -> None:
    nulls = data.isna()
    assert nulls.drop(columns="total_charges").sum().sum() == 0
    assert (data.loc[nulls["total_charges"], "tenure"] == 0).all()


@pytest.mark.data
def test_no_customer_in_both_train_and_test(splits: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = splits
    assert not set(train[cc.ID_COLUMN]) & set(test[cc.ID_COLUMN])


@pytest.mark.data
def test_no_single_column_gives_the_target_away(data: pd.DataFrame) -> None:
    """Leakage smell: a column that alone separates churners almost perfectly."""
    y = (data[cc.TARGET] == "Yes").astype(int)
    for column in cc.FEATURES:
        values = data[column]
        if column in cc.CATEGORICAL_FEATURES:
            values = y.groupby(values).transform("mean")  # churn rate of the category
        auc = roc_auc_score(y, values.fillna(values.median()))
        assert max(auc, 1 - auc) < 0.95, column


# ----------------------------------------------------------------------------- model tests
@pytest.mark.model
def test_golden_metrics_do_not_regress(model: Any, splits: tuple[pd.DataFrame, ...]) -> None:
    golden = cc.load_golden()
    metrics = cc.evaluate(model, splits[1])
    assert metrics["roc_auc"] >= golden["roc_auc_floor"]
    for name in ("roc_auc", "accuracy"):
        assert metrics[name] == pytest.approx(golden[name], abs=golden["tolerance"]), name


@pytest.mark.model
@pytest.mark.parametrize(
    ("make_customer", "low", "high"),
    [(cc.loyal_customer, 0.0, 0.2), (cc.at_risk_customer, 0.5, 1.0)],
    ids=["loyal", "at_risk"],
)
def test_minimum_functionality(model: Any, make_customer: Any, low: float, high: float) -> None:
    """MFT: cases any sensible churn model must get right."""
    (probability,) = cc.predict_proba(model, [make_customer()])
    assert low <= probability <= high


@pytest.mark.model
def test_new_customer_without_total_charges_is_scored(model: Any) -> None:
    """MFT: tenure 0 arrives with total_charges=None; the pipeline must impute, not crash."""
    newcomer = {**cc.at_risk_customer(), "tenure": 0, "total_charges": None}
    (probability,) = cc.predict_proba(model, [newcomer])
    assert 0.0 < probability < 1.0


@pytest.mark.model
@pytest.mark.parametrize("new_id", ["C99999", "someone-else", "x"])
def test_invariance_to_customer_id(model: Any, seen_customers: list, new_id: str) -> None:
    """INV: the id is a label, not a feature; changing it must not move the prediction."""
    assert cc.invariance_gap(model, seen_customers, customer_id=new_id) < 1e-9


@pytest.mark.model
def test_gender_moves_prediction_by_less_than_two_points(model: Any, seen_customers: list) -> None:
    """INV with a tolerance: a product decision, written down as a test."""
    assert cc.invariance_gap(model, seen_customers, female=1) < 0.02
    assert cc.invariance_gap(model, seen_customers, female=0) < 0.02


@pytest.mark.model
def test_two_year_contract_lowers_churn(model: Any, splits: tuple[pd.DataFrame, ...]) -> None:
    """DIR: same customer, two-year instead of month-to-month -> lower churn probability."""
    test = splits[1]
    monthly = cc.records(test[test["contract"] == "Month-to-month"])
    assert len(monthly) > 100
    assert cc.directional_share(model, monthly, contract="Two year") == 1.0


@pytest.mark.model
def test_contract_length_orders_risk(model: Any) -> None:
    """DIR: p(month-to-month) > p(one year) > p(two year), all else equal."""
    base = cc.at_risk_customer()
    probs = cc.predict_proba(model, [{**base, "contract": c} for c in cc.CONTRACTS])
    assert list(probs) == sorted(probs, reverse=True)
    assert len(set(np.round(probs, 6))) == 3


@pytest.mark.model
def test_model_survives_a_pickle_round_trip(model: Any, tmp_path: Path) -> None:
    """The artefact we ship must predict exactly like the object we tested."""
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    restored = pickle.loads(path.read_bytes())
    customers = [cc.loyal_customer(), cc.at_risk_customer()]
    np.testing.assert_array_equal(
        cc.predict_proba(model, customers), cc.predict_proba(restored, customers)
    )


@pytest.mark.model
def test_training_is_deterministic(splits: tuple[pd.DataFrame, ...]) -> None:
    first = cc.train_model(splits[0])
    second = cc.train_model(splits[0])
    np.testing.assert_array_equal(first[-1].coef_, second[-1].coef_)


@pytest.mark.model
def test_unknown_bug_name_is_refused(splits: tuple[pd.DataFrame, ...]) -> None:
    with pytest.raises(ValueError, match="unknown bug"):
        cc.train_model(splits[0], bug="typo")


# ----------------------------------------------------------------------------- API tests
@pytest.mark.api
def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.api
def test_predict_follows_the_contract(client: TestClient, customer: dict) -> None:
    response = client.post("/predict", json=customer)
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, PREDICTION_SCHEMA)
    assert body["customer_id"] == "C-test-1"
    assert body["churn"] is True


@pytest.mark.api
@pytest.mark.parametrize(
    ("field", "value"),
    [("contract", "Three year"), ("tenure", -1), ("female", 2), ("unexpected", 1)],
)
def test_invalid_input_is_rejected_with_422(
    client: TestClient, customer: dict, field: str, value: Any
) -> None:
    customer[field] = value
    response = client.post("/predict", json=customer)
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"])


@pytest.mark.api
def test_missing_feature_is_rejected(client: TestClient, customer: dict) -> None:
    del customer["contract"]
    assert client.post("/predict", json=customer).status_code == 422


@pytest.mark.api
def test_api_prediction_ignores_customer_id(
    client: TestClient, seen_customers: list[dict[str, Any]]
) -> None:
    """INV through the HTTP layer: same features, different id, same probability."""
    for row in seen_customers[:10]:
        original = client.post("/predict", json=row).json()
        renamed = client.post("/predict", json={**row, "customer_id": "renamed"}).json()
        assert renamed["churn_probability"] == pytest.approx(original["churn_probability"])


@pytest.mark.api
def test_threshold_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, model: Any, customer: dict
) -> None:
    monkeypatch.setenv(api.THRESHOLD_ENV, "0.99")
    strict = TestClient(api.create_app(model))
    assert strict.post("/predict", json=customer).json()["churn"] is False


@pytest.mark.api
def test_threshold_is_inclusive(monkeypatch: pytest.MonkeyPatch, customer: dict) -> None:
    """Unit test of the decision rule with a stub model: p == threshold means churn."""

    class StubModel:
        def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
            return np.tile([0.5, 0.5], (len(frame), 1))

    monkeypatch.delenv(api.THRESHOLD_ENV, raising=False)
    body = TestClient(api.create_app(StubModel())).post("/predict", json=customer).json()
    assert body["churn_probability"] == 0.5
    assert body["churn"] is True
