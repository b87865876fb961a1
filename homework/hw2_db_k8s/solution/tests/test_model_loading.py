"""The model refuses artefacts it cannot score correctly, with a clear error instead of bad answers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.model import ChurnModel, ModelLoadError

ROOT = Path(__file__).resolve().parent.parent
ARTEFACT: dict[str, Any] = json.loads((ROOT / "model" / "model.json").read_text())
METRICS: dict[str, Any] = json.loads((ROOT / "model" / "metrics.json").read_text())


def broken(change: str) -> dict[str, Any]:
    artefact = copy.deepcopy(ARTEFACT)
    if change == "format":
        artefact["format"] = "pickle"
    elif change == "missing":
        del artefact["classifier"]
    elif change == "coefficients":
        artefact["classifier"]["coef"] = artefact["classifier"]["coef"][:-1]
    elif change == "scale":
        artefact["numeric"]["scale"] = [0.0] * len(artefact["numeric"]["scale"])
    elif change == "non-finite":
        artefact["classifier"]["intercept"] = float("nan")
    return artefact


def test_the_committed_artefact_loads() -> None:
    assert ChurnModel.from_artefact(ARTEFACT, METRICS).version == ARTEFACT["version"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("format", "unsupported model format"),
        ("missing", "malformed model artefact"),
        ("coefficients", "inconsistent"),
        ("scale", "scaler/imputer"),
        ("non-finite", "non-finite"),
    ],
)
def test_a_broken_artefact_is_refused(change: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        ChurnModel.from_artefact(broken(change), METRICS)
