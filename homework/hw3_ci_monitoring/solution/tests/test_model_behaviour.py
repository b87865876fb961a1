"""Behavioural tests of the served model (invariance, direction) and of the fast path itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.model import ChurnModel
from training import train

ROOT = Path(__file__).resolve().parent.parent


def probability(client: TestClient, customer: dict) -> float:
    response = client.post("/predict", json=customer)
    assert response.status_code == 200, response.text
    return response.json()["churn_probability"]


def test_customer_id_does_not_change_the_prediction(client: TestClient, customer: dict) -> None:
    ids = ["a", "b" * 64, "4711", "émile-ß"]
    probabilities = {probability(client, {**customer, "customer_id": i}) for i in ids}
    del customer["customer_id"]
    probabilities.add(probability(client, customer))
    assert len(probabilities) == 1


def test_predictions_are_deterministic(client: TestClient, customer: dict) -> None:
    assert len({probability(client, customer) for _ in range(5)}) == 1


@pytest.mark.parametrize("tenure", [1, 12, 48])
def test_two_year_contract_lowers_churn_vs_month_to_month(
    client: TestClient, customer: dict, tenure: int
) -> None:
    customer["tenure"] = tenure
    monthly = probability(client, {**customer, "contract": "Month-to-month"})
    two_year = probability(client, {**customer, "contract": "Two year"})
    assert two_year < monthly


def test_longer_tenure_lowers_churn(client: TestClient, customer: dict) -> None:
    short = probability(client, {**customer, "tenure": 2, "total_charges": 2 * 56.95})
    long = probability(client, {**customer, "tenure": 60, "total_charges": 60 * 56.95})
    assert long < short


def test_missing_total_charges_is_imputed_as_zero(app: FastAPI, customer: dict) -> None:
    model: ChurnModel = app.state.model
    assert model.churn_probability({**customer, "total_charges": None}) == pytest.approx(
        model.churn_probability({**customer, "total_charges": 0.0}), abs=1e-15
    )


@pytest.fixture(scope="module")
def retrained():
    """The sklearn pipeline, retrained from scratch by the training script's own functions."""
    pipeline, metrics = train.train()
    return pipeline, metrics


def test_fast_path_equals_the_sklearn_pipeline(app: FastAPI, retrained) -> None:
    """The served arithmetic matches sklearn: same class, probability within 1e-5."""
    pipeline, _ = retrained
    model: ChurnModel = app.state.model
    features, _ = train.load_data()
    # 600 ordinary rows plus every row without total_charges (the imputed case).
    rows = pd.concat([features.iloc[:600], features[features["total_charges"].isna()]])
    assert len(rows) > 600
    expected = pipeline.predict_proba(rows)[:, 1]
    records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    got = np.array([model.churn_probability(record) for record in records])
    assert np.max(np.abs(got - expected)) < 1e-5
    assert np.array_equal(got >= 0.5, pipeline.predict(rows) == 1)


def test_committed_artefacts_are_reproducible(retrained) -> None:
    pipeline, metrics = retrained
    committed = json.loads((ROOT / "model" / "metrics.json").read_text())
    for key in ("data_sha256", "n_train", "n_valid", "seed"):
        assert metrics[key] == committed[key], key
    assert metrics["roc_auc"] == pytest.approx(committed["roc_auc"], abs=1e-4)
    exported = train.export_pipeline(pipeline)
    artefact = json.loads((ROOT / "model" / "model.json").read_text())
    assert exported["categorical"] == artefact["categorical"]
    np.testing.assert_allclose(
        exported["classifier"]["coef"], artefact["classifier"]["coef"], atol=1e-6
    )
