"""The model: faithful to scikit-learn, deterministic training, sensible behaviour."""

from __future__ import annotations

import csv
import json
import math

import pytest

from app.model import ChurnModel
from tests.support import CUSTOMER, ROOT, flat_params, training_customers


@pytest.fixture(scope="module")
def model() -> ChurnModel:
    return ChurnModel.load()


def _close(a: object, b: object, path: str = "") -> list[str]:
    """Differences between two JSON documents, floats compared to 1e-9."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _close(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float):
        return [] if abs(a - b) <= 1e-9 else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_training_is_deterministic_and_reproduces_the_artefact(tmp_path) -> None:
    from training.train import main

    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["--out", str(first)]) == 0
    assert main(["--out", str(second)]) == 0
    for name in ("model.json", "metrics.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        fresh = json.loads((first / name).read_text())
        committed = json.loads((ROOT / "model" / name).read_text())
        # The version (a hash of the parameters) and library versions may differ by platform.
        for doc in (fresh, committed):
            for key in ("version", "model_version", "scikit_learn"):
                doc.pop(key, None)
        assert not _close(fresh, committed), _close(fresh, committed)[:5]


def test_pure_python_inference_matches_scikit_learn(model) -> None:
    pd = pytest.importorskip("pandas")
    from training.train import build_pipeline, feature_lists

    frame = pd.read_csv(ROOT / "data" / "train.csv")
    numeric, categorical = feature_lists()
    pipe = build_pipeline(numeric, categorical).fit(
        frame[numeric + categorical], frame["churn"] == "Yes"
    )
    expected = pipe.predict_proba(frame[numeric + categorical])[:, 1]
    customers = training_customers()
    got = [model.probability(c) for c in customers]
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) < 1e-6


def test_metrics_are_recorded(model) -> None:
    assert model.metrics["roc_auc"] >= 0.80
    assert 0.7 <= model.metrics["accuracy"] <= 1
    assert model.metrics["model_version"] == model.version
    assert model.metrics["n_rows"] == len(training_customers())
    with (ROOT / "data" / "train.csv").open(newline="") as handle:
        churners = sum(row["churn"] == "Yes" for row in csv.DictReader(handle))
    assert model.metrics["train_label_rate"] == round(churners / model.metrics["n_rows"], 6)
    flagged = sum(model.probability(c) >= 0.5 for c in training_customers())
    assert model.metrics["train_flag_rate"] == round(flagged / model.metrics["n_rows"], 6)


def test_committed_threshold_is_one_half(model) -> None:
    assert model.threshold == 0.5


def test_threshold_defaults_to_one_half() -> None:
    params = flat_params(0.0)
    del params["threshold"]
    assert ChurnModel(params).threshold == 0.5


@pytest.mark.parametrize(
    ("intercept", "churn"),
    [(-1e-9, False), (0.0, True), (1e-9, True)],
    ids=["just below", "exactly at", "just above"],
)
def test_churn_flag_at_the_threshold(intercept: float, churn: bool) -> None:
    """churn is true exactly when churn_probability >= 0.5, the boundary included."""
    prediction = ChurnModel(flat_params(intercept)).predict(CUSTOMER)
    assert prediction["churn_probability"] == pytest.approx(0.5, abs=1e-9)
    assert (prediction["churn_probability"] >= 0.5) is churn
    assert prediction["churn"] is churn


@pytest.mark.parametrize(("threshold", "churn"), [(0.3, True), (0.5, True), (0.7, False)])
def test_threshold_from_the_artefact_is_used(threshold: float, churn: bool) -> None:
    model = ChurnModel(flat_params(0.0, threshold=threshold))  # probability exactly 0.5
    assert model.threshold == threshold
    assert model.predict(CUSTOMER)["churn"] is churn


@pytest.mark.parametrize("z", [-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
def test_probability_is_the_logistic_function(z: float) -> None:
    """Far beyond exp's range too: no OverflowError, no probability outside [0, 1]."""
    probability = ChurnModel(flat_params(z)).probability(CUSTOMER)
    expected = 0.0 if z < -700 else 1.0 if z > 700 else 1 / (1 + math.exp(-z))
    assert probability == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert 0.0 <= probability <= 1.0


def test_missing_total_charges_uses_the_fill_value(model) -> None:
    fill = json.loads((ROOT / "model" / "model.json").read_text())["numeric"]["total_charges"]
    assert model.probability(dict(CUSTOMER, total_charges=None)) == model.probability(
        dict(CUSTOMER, total_charges=fill["fill"])
    )


def test_probabilities_are_probabilities(model) -> None:
    for customer in training_customers(500):
        p = model.probability(customer)
        assert 0.0 <= p <= 1.0


def test_customer_id_does_not_change_the_prediction(client) -> None:
    for customer in training_customers(20):
        with_id = client.post("/predict", json=customer).get_json()
        customer.pop("customer_id")
        without = client.post("/predict", json=customer).get_json()
        other = client.post("/predict", json=dict(customer, customer_id="other")).get_json()
        assert with_id["churn_probability"] == without["churn_probability"]
        assert other["churn_probability"] == without["churn_probability"]
        assert without["customer_id"] is None and other["customer_id"] == "other"


def test_two_year_contract_lowers_churn_vs_month_to_month(client) -> None:
    for customer in training_customers(50):
        monthly = client.post("/predict", json=dict(customer, contract="Month-to-month"))
        two_year = client.post("/predict", json=dict(customer, contract="Two year"))
        lower, higher = two_year.get_json(), monthly.get_json()
        assert lower["churn_probability"] < higher["churn_probability"], customer


def test_single_and_batch_agree_and_repeat(client) -> None:
    customers = training_customers(1000)
    batch = client.post("/predict/batch", json={"customers": customers})
    assert batch.status_code == 200
    predictions = batch.get_json()["predictions"]
    assert [p["customer_id"] for p in predictions] == [c["customer_id"] for c in customers]
    for i in (0, 1, 499, 999):
        single = client.post("/predict", json=customers[i]).get_json()
        assert single == predictions[i]
        assert client.post("/predict", json=customers[i]).get_json() == single


def test_batch_limit(client) -> None:
    customers = training_customers(1000)
    assert client.post("/predict/batch", json={"customers": customers}).status_code == 200
    response = client.post("/predict/batch", json={"customers": customers + customers[:1]})
    assert response.status_code in (413, 422)
    error = response.get_json()["detail"][0]
    assert (error["loc"], error["type"]) == (["body", "customers"], "too_long")
