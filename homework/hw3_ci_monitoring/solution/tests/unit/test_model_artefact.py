"""Loading the exported model: every way the artefact can be wrong is a clear ModelLoadError."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.model import ChurnModel, ModelLoadError

SETTINGS = Settings()


@pytest.fixture(scope="module")
def artefact() -> dict[str, Any]:
    return json.loads(SETTINGS.model_path.read_text())


@pytest.fixture(scope="module")
def metrics() -> dict[str, Any]:
    return json.loads(SETTINGS.metrics_path.read_text())


def test_the_shipped_artefact_loads(artefact: dict[str, Any], metrics: dict[str, Any]) -> None:
    model = ChurnModel.from_artefact(artefact, metrics)
    assert model.version == str(artefact["version"])


def broken(artefact: dict[str, Any], change: str) -> dict[str, Any]:
    """A deep copy of ``artefact`` with one defect."""
    bad = copy.deepcopy(artefact)
    if change == "format":
        bad["format"] = "pickle/1"
    elif change == "missing classifier":
        del bad["classifier"]
    elif change == "coefficient count":
        bad["classifier"]["coef"] = bad["classifier"]["coef"][:-1]
    elif change == "zero scale":
        bad["numeric"]["scale"] = [0.0] * len(bad["numeric"]["scale"])
    elif change == "non-finite":
        bad["classifier"]["intercept"] = float("nan")
    return bad


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("format", "unsupported model format 'pickle/1'"),
        ("missing classifier", "malformed model artefact"),
        ("coefficient count", "inconsistent"),
        ("zero scale", "scaler/imputer"),
        ("non-finite", "non-finite"),
    ],
)
def test_a_broken_artefact_is_refused_with_its_reason(
    artefact: dict[str, Any], metrics: dict[str, Any], change: str, message: str
) -> None:
    with pytest.raises(ModelLoadError, match=message):
        ChurnModel.from_artefact(broken(artefact, change), metrics)


def test_missing_and_unreadable_files_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="run `python training/train.py` first"):
        ChurnModel.load(tmp_path / "absent.json", SETTINGS.metrics_path)
    garbled = tmp_path / "model.json"
    garbled.write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable model file"):
        ChurnModel.load(garbled, SETTINGS.metrics_path)
