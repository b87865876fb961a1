"""The hw2 contract (grader/contracts/hw2.json) extends hw1's without changing it, and the files
that starter and solution share with the canonical sources are identical copies."""

from __future__ import annotations

import jsonschema
import pytest

from grader.contracts import render_contract_markdown
from tests.homework.hw2 import _hw2

HW1 = _hw2.load_json(_hw2.HW1_CONTRACT_PATH)
HW2 = _hw2.load_json(_hw2.CONTRACT_PATH)
HW1_SOLUTION = _hw2.ROOT / "homework" / "hw1_api" / "solution"


def endpoints(contract: dict) -> dict[tuple[str, str], dict]:
    return {(e["method"], e["path"]): e for e in contract["endpoints"]}


def test_hw2_contract_is_valid_json_schema_and_renders() -> None:
    jsonschema.Draft202012Validator.check_schema(HW2)
    assert HW2["homework"] == "hw2" and HW2["extends"] == "hw1"
    table = render_contract_markdown(HW2)
    for endpoint in HW2["endpoints"]:
        assert f"`{endpoint['path']}`" in table


@pytest.mark.parametrize("name", sorted(HW1["$defs"]))
def test_every_hw1_definition_is_copied_unchanged(name: str) -> None:
    assert HW2["$defs"][name] == HW1["$defs"][name], f"$defs.{name} differs from hw1.json"


def test_hw1_limits_are_kept() -> None:
    for key, value in HW1["limits"].items():
        assert HW2["limits"][key] == value, key


@pytest.mark.parametrize("key", sorted(endpoints(HW1)), ids=lambda k: f"{k[0]} {k[1]}")
def test_every_hw1_request_gets_the_same_answer_plus_the_id(key: tuple[str, str]) -> None:
    """Each hw1 response is still allowed: the same schema, or one that extends it (allOf)."""
    old, new = endpoints(HW1)[key], endpoints(HW2).get(key)
    assert new is not None, f"hw2 drops {key}"
    assert new.get("request") == old.get("request")
    for status, ref in old["responses"].items():
        assert status in new["responses"], f"{key}: hw2 drops the {status} answer"
        new_ref = new["responses"][status]
        if new_ref == ref:
            continue
        extended = HW2["$defs"][new_ref.rsplit("/", 1)[-1]]
        assert {"$ref": ref} in extended.get("allOf", []), f"{key} {status}: {new_ref} ⊅ {ref}"


def test_stored_predictions_carry_an_integer_id() -> None:
    stored = HW2["$defs"]["StoredPrediction"]["allOf"][1]
    assert stored["required"] == ["id"] and stored["properties"]["id"]["type"] == "integer"
    batch = jsonschema.Draft202012Validator(
        {"$defs": HW2["$defs"], "$ref": "#/$defs/StoredBatchResponse"}
    )
    prediction = {
        "customer_id": None,
        "churn": True,
        "churn_probability": 0.7,
        "model_version": "1",
    }
    assert not batch.is_valid({"predictions": [prediction], "model_version": "1"})
    assert batch.is_valid({"predictions": [{**prediction, "id": 1}], "model_version": "1"})


def test_new_endpoints_and_their_bounds() -> None:
    new = endpoints(HW2)
    assert new[("GET", "/ready")]["responses"] == {
        "200": "#/$defs/Health",
        "503": "#/$defs/Error",
    }
    query = new[("GET", "/predictions")]["query"]
    assert query["limit"]["minimum"] == 1
    assert query["limit"]["maximum"] == HW2["limits"]["max_page_size"] == 100
    assert query["limit"]["default"] == HW2["limits"]["default_page_size"] == 50
    assert query["offset"]["minimum"] == 0
    assert "404" in new[("GET", "/predictions/{id}")]["responses"]
    for key in [("POST", "/predict"), ("POST", "/predict/batch"), ("GET", "/predictions")]:
        assert "503" in new[key]["responses"], key


def test_the_stored_table_is_part_of_the_contract() -> None:
    database = HW2["database"]
    assert database["url_env"] == "DATABASE_URL"
    assert database["url_scheme"] == "postgresql+psycopg"
    assert all(url.startswith("postgresql+psycopg://") for url in database["url_examples"])
    assert database["table"] == "predictions"
    assert list(database["columns"]) == [
        "id",
        "created_at",
        "customer_id",
        "features",
        "churn",
        "churn_probability",
        "model_version",
    ]
    record = HW2["$defs"]["PredictionRecord"]["required"]
    assert set(record) == set(database["columns"])


def test_example_record_validates() -> None:
    validator = jsonschema.Draft202012Validator(
        {"$defs": HW2["$defs"], "$ref": "#/$defs/PredictionRecord"},
        format_checker=jsonschema.FormatChecker(),
    )
    features = {
        "female": 1, "senior_citizen": 0, "partner": 1, "dependents": 0, "tenure": 0,
        "phone_service": 0, "multiple_lines": "No phone service", "internet_service": "DSL",
        "online_security": "No", "online_backup": "Yes", "device_protection": "No",
        "tech_support": "No", "streaming_tv": "No", "streaming_movies": "No",
        "contract": "Month-to-month", "paperless_billing": 1,
        "payment_method": "Electronic check", "monthly_charges": 29.85, "total_charges": None,
    }  # fmt: skip
    record = {
        "id": 1,
        "created_at": "2026-10-05T12:00:00.123456Z",
        "customer_id": None,
        "features": features,
        "churn": True,
        "churn_probability": 0.61,
        "model_version": "1.0.0",
    }
    assert validator.is_valid(record)
    assert not validator.is_valid({**record, "features": {**features, "customer_id": "x"}})
    assert not validator.is_valid({**record, "id": 0})


# --- copies that must stay identical ------------------------------------------------------------

COPIES = {
    "tests/public/contract.json": _hw2.CONTRACT_PATH,
    "tests/public/test_public_api.py": _hw2.PUBLIC_DIR / "test_public_api.py",
    "data/train.csv": _hw2.ROOT / "data" / "train.csv",
    # The hw1 service is kept: same training script, same model, so the same answers.
    "training/train.py": HW1_SOLUTION / "training" / "train.py",
    "model/model.json": HW1_SOLUTION / "model" / "model.json",
    "model/metrics.json": HW1_SOLUTION / "model" / "metrics.json",
    ".github/workflows/grade.yml": _hw2.SOLUTION / ".github" / "workflows" / "grade.yml",
}


@pytest.mark.parametrize("repo", ["solution", "starter"])
@pytest.mark.parametrize("relative", sorted(COPIES))
def test_copies_are_byte_identical(repo: str, relative: str) -> None:
    copy = _hw2.HW2 / repo / relative
    assert copy.read_bytes() == COPIES[relative].read_bytes(), (
        f"{copy} differs from {COPIES[relative]}: copy it again"
    )
