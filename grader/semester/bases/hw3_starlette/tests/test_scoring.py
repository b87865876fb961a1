"""The weight table: the logistic function, the cutoff, folding the scaler, model behaviour."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from app.scoring import WeightTable, logistic


def tiny_artefact(
    intercept: float = 0.0, coef: tuple[float, float, float] = (0.0, 0.0, 0.0)
) -> dict:
    return {
        "name": "t",
        "version": "9",
        "threshold": 0.5,
        "categorical": {"index": {"colour": {"red": 0, "blue": 1}}},
        "numeric": {
            "features": ["age"],
            "offset": 2,
            "impute_value": [4.0],
            "mean": [10.0],
            "scale": [2.0],
        },
        "classifier": {"coef": list(coef), "intercept": intercept},
    }


def test_logistic_is_symmetric_and_never_overflows() -> None:
    assert logistic(0) == 0.5
    assert logistic(2) == pytest.approx(1 - logistic(-2))
    assert logistic(1000) == 1.0 and 0 <= logistic(-1000) < 1e-300
    assert logistic(0.5) == pytest.approx(0.6224593)  # both sides of 0 follow the same curve


def test_half_is_a_churn() -> None:
    table = WeightTable.from_artefact(tiny_artefact(), {})
    record = SimpleNamespace(colour="red", age=10.0)
    assert table.risk(record) == 0.5
    assert table.flags(0.5) is True
    assert table.flags(0.4999) is False


def test_scaler_is_folded_into_the_slope() -> None:
    table = WeightTable.from_artefact(tiny_artefact(0.5, (1.0, -1.0, 3.0)), {})
    # z = 0.5 + w[blue] + 3 * (age - 10) / 2, age = 12 -> 0.5 - 1 + 3 = 2.5
    assert table.risk(SimpleNamespace(colour="blue", age=12.0)) == pytest.approx(
        1 / (1 + math.exp(-2.5))
    )
    # a null number takes the imputer's value (4): z = 0.5 + 1 + 3 * (4 - 10) / 2 = -7.5
    assert table.risk(SimpleNamespace(colour="red", age=None)) == pytest.approx(
        1 / (1 + math.exp(7.5))
    )


def test_longer_contracts_do_not_raise_the_risk(http, sample) -> None:
    risks = []
    for contract in ("Month-to-month", "One year", "Two year"):
        sample["contract"] = contract
        risks.append(http.post("/predict", json=sample).json()["churn_probability"])
    assert risks[0] > risks[1] > risks[2]


def test_gender_alone_barely_matters(http, sample) -> None:
    first = http.post("/predict", json=sample).json()["churn_probability"]
    sample["female"] = 0
    second = http.post("/predict", json=sample).json()["churn_probability"]
    assert abs(first - second) < 0.05


def test_the_committed_model_scores_the_spec_example(sample) -> None:
    table = WeightTable.read()
    assert (table.name, table.version, table.cutoff) == ("churn-logreg", "1.0.0", 0.5)
    assert table.risk(SimpleNamespace(**sample)) == pytest.approx(0.6163, abs=1e-4)


def test_every_number_reads_its_own_coefficient() -> None:
    artefact = tiny_artefact(0.0, (0.0, 0.0, 2.0))
    artefact["numeric"] = {
        "features": ["age", "spend"],
        "offset": 2,
        "impute_value": [0.0, 0.0],
        "mean": [0.0, 0.0],
        "scale": [1.0, 4.0],
    }
    artefact["classifier"]["coef"] = [0.0, 0.0, 2.0, -8.0]
    table = WeightTable.from_artefact(artefact, {})
    assert [(name, slope) for name, slope, _ in table.slopes] == [("age", 2.0), ("spend", -2.0)]
    z = 2.0 * 1.0 - 2.0 * 0.5
    assert table.risk(SimpleNamespace(colour="red", age=1.0, spend=0.5)) == pytest.approx(
        logistic(z)
    )
