"""app/model.py: loading the artefact (and refusing broken ones), the threshold, immutability."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.model import ChurnModel, ModelLoadError

ROOT = Path(__file__).resolve().parent.parent
METRICS_PATH = ROOT / "model" / "metrics.json"


def flat(artefact: dict[str, Any], intercept: float) -> dict[str, Any]:
    """The artefact with every coefficient 0: P(churn) = sigmoid(intercept) for any customer."""
    artefact["classifier"]["coef"] = [0.0] * len(artefact["classifier"]["coef"])
    artefact["classifier"]["intercept"] = intercept
    return artefact


def write(tmp_path: Path, artefact: dict[str, Any]) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(artefact))
    return path


# --- the committed artefact ---------------------------------------------------------------------


def test_committed_model_loads(artefact: dict, metrics: dict) -> None:
    model = ChurnModel.load(ROOT / "model" / "model.json", METRICS_PATH)
    assert (model.name, model.version) == (artefact["name"], artefact["version"])
    assert model.threshold == 0.5
    assert list(model.features) == artefact["features"]
    assert model.metrics == metrics


def test_loaded_model_is_immutable(artefact: dict, metrics: dict) -> None:
    """One model object serves every request: nothing may change it in place."""
    model = ChurnModel.from_artefact(artefact, metrics)
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.threshold = 0.1  # type: ignore[misc]


def test_threshold_defaults_to_one_half(artefact: dict, metrics: dict) -> None:
    del artefact["threshold"]
    assert ChurnModel.from_artefact(artefact, metrics).threshold == 0.5


# --- the threshold: churn is true exactly when probability >= threshold ------------------------


@pytest.mark.parametrize(
    ("intercept", "churn"),
    [(-1e-9, False), (0.0, True), (1e-9, True)],
    ids=["just below", "exactly at", "just above"],
)
def test_churn_flag_at_the_threshold(
    artefact: dict, metrics: dict, customer: dict, intercept: float, churn: bool
) -> None:
    model = ChurnModel.from_artefact(flat(artefact, intercept), metrics)
    churned, probability = model.predict(customer)
    assert probability == pytest.approx(0.5, abs=1e-9)
    assert (probability >= 0.5) is churn  # the probability really is on that side of 0.5
    assert churned is churn


@pytest.mark.parametrize(("threshold", "churn"), [(0.3, True), (0.5, True), (0.7, False)])
def test_threshold_from_the_artefact_is_used(
    artefact: dict, metrics: dict, customer: dict, threshold: float, churn: bool
) -> None:
    artefact = flat(artefact, 0.0)  # probability exactly 0.5
    model = ChurnModel.from_artefact({**artefact, "threshold": threshold}, metrics)
    assert model.threshold == threshold
    assert model.predict(customer) == (churn, 0.5)


@pytest.mark.parametrize(
    ("intercept", "churn"), [(-1e-9, False), (0.0, True)], ids=["just below", "exactly at"]
)
def test_service_flags_churn_at_the_threshold(
    tmp_path: Path, artefact: dict, customer: dict, intercept: float, churn: bool
) -> None:
    """End to end: the API's churn flag for a probability at (and just below) 0.5."""
    settings = Settings(
        model_path=write(tmp_path, flat(artefact, intercept)), metrics_path=METRICS_PATH
    )
    with TestClient(create_app(settings)) as client:
        body = client.post("/predict", json=customer).json()
        batch = client.post("/predict/batch", json={"customers": [customer]}).json()
    assert body["churn_probability"] == pytest.approx(0.5, abs=1e-9)
    assert body["churn"] is churn
    assert batch["predictions"] == [body]


@pytest.mark.parametrize("z", [-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
def test_probability_is_the_logistic_function(
    artefact: dict, metrics: dict, customer: dict, z: float
) -> None:
    """Far beyond exp's range too: no OverflowError, no probability outside [0, 1]."""
    probability = ChurnModel.from_artefact(flat(artefact, z), metrics).churn_probability(customer)
    expected = 0.0 if z < -700 else 1.0 if z > 700 else 1 / (1 + math.exp(-z))
    assert probability == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert 0.0 <= probability <= 1.0


# --- broken artefacts: a clear ModelLoadError, never a half-working model -----------------------


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"model\.json not found.*train\.py"):
        ChurnModel.load(tmp_path / "model.json", METRICS_PATH)


def test_missing_metrics_file(tmp_path: Path, artefact: dict) -> None:
    with pytest.raises(ModelLoadError, match=r"metrics\.json not found"):
        ChurnModel.load(write(tmp_path, artefact), tmp_path / "metrics.json")


def test_model_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"format": "churn-logreg-json/1",')
    with pytest.raises(ModelLoadError, match="unreadable model file"):
        ChurnModel.load(path, METRICS_PATH)


def _drop_classifier(a: dict) -> None:
    del a["classifier"]


def _drop_scale(a: dict) -> None:
    del a["numeric"]["scale"]


def _text_coef(a: dict) -> None:
    a["classifier"]["coef"][0] = "heavy"


def _short_coef(a: dict) -> None:
    a["classifier"]["coef"].pop()


def _long_coef(a: dict) -> None:
    a["classifier"]["coef"].append(0.1)


def _gap_in_one_hot_index(a: dict) -> None:
    a["categorical"]["index"]["contract"]["Two year"] += 100


def _short_mean(a: dict) -> None:
    a["numeric"]["mean"].pop()


def _short_impute(a: dict) -> None:
    a["numeric"]["impute_value"].pop()


def _zero_scale(a: dict) -> None:
    a["numeric"]["scale"][4] = 0.0


def _nan_coef(a: dict) -> None:
    a["classifier"]["coef"][3] = math.nan


def _infinite_intercept(a: dict) -> None:
    a["classifier"]["intercept"] = math.inf


BROKEN = {
    "unknown format": (
        lambda a: a.update(format="churn-logreg-json/2"),
        "unsupported model format",
    ),
    "no format": (lambda a: a.pop("format"), "unsupported model format"),
    "no classifier": (_drop_classifier, "malformed model artefact"),
    "no scale": (_drop_scale, "malformed model artefact"),
    "coefficient is text": (_text_coef, "malformed model artefact"),
    "one coefficient short": (_short_coef, "inconsistent"),
    "one coefficient too many": (_long_coef, "inconsistent"),
    "gap in the one-hot index": (_gap_in_one_hot_index, "inconsistent"),
    "mean too short": (_short_mean, "scaler/imputer"),
    "impute values too short": (_short_impute, "scaler/imputer"),
    "zero scale": (_zero_scale, "scaler/imputer"),
    "NaN coefficient": (_nan_coef, "non-finite"),
    "infinite intercept": (_infinite_intercept, "non-finite"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_artefact_is_refused(artefact: dict, metrics: dict, case: str) -> None:
    breaks, message = BROKEN[case]
    breaks(artefact)
    with pytest.raises(ModelLoadError, match=message):
        ChurnModel.from_artefact(artefact, metrics)


def test_service_does_not_start_with_a_broken_model(tmp_path: Path, artefact: dict) -> None:
    _short_coef(artefact)
    settings = Settings(model_path=write(tmp_path, artefact), metrics_path=METRICS_PATH)
    with pytest.raises(ModelLoadError, match="inconsistent"), TestClient(create_app(settings)):
        pass  # the lifespan fails: the service never accepts a request


def test_service_does_not_start_without_a_model(tmp_path: Path) -> None:
    settings = Settings(model_path=tmp_path / "model.json", metrics_path=METRICS_PATH)
    with pytest.raises(ModelLoadError, match="not found"), TestClient(create_app(settings)):
        pass
