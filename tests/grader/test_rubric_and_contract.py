"""The hw1 rubric, contract and hidden cases agree with each other and with the data."""

from __future__ import annotations

import json

import jsonschema
import pytest

from grader.checks.holdout import load_holdout
from grader.contracts import load_contract, render_contract_markdown, schema_for
from grader.errors import UsageError
from grader.paths import DEFAULT_SUITES_DIR
from grader.rubric import load_rubric, render_rubric_markdown
from grader.stages import check_stages


def test_rubric_totals_100_and_every_check_is_implemented() -> None:
    rubric = load_rubric("hw1")
    assert rubric.max_points == 100
    for check in rubric.checks:
        assert check_stages()[check.id] == check.stage, f"{check.id} has no implementation"
    assert len(rubric.sha256) == 64


def test_rubric_table_lists_every_check() -> None:
    rubric = load_rubric("hw1")
    table = render_rubric_markdown(rubric)
    for check in rubric.checks:
        assert f"`{check.id}`" in table
    assert "**100**" in table


def test_unknown_homework_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no rubric"):
        load_rubric("hw9")
    with pytest.raises(UsageError, match="no contract"):
        load_contract("hw9")


def test_contract_is_valid_json_schema_and_renders() -> None:
    contract = load_contract("hw1")
    jsonschema.Draft202012Validator.check_schema(contract)
    text = render_contract_markdown(contract)
    for endpoint in contract["endpoints"]:
        assert endpoint["path"] in text


def test_every_holdout_row_is_a_valid_request() -> None:
    validator = jsonschema.Draft202012Validator(schema_for(load_contract("hw1"), "Customer"))
    rows = load_holdout(DEFAULT_SUITES_DIR)
    assert len(rows) > 1000
    assert {r["label"] for r in rows} == {0, 1}
    bad = [r["customer"]["customer_id"] for r in rows if not validator.is_valid(r["customer"])]
    assert bad == []
    assert any(r["customer"]["total_charges"] is None for r in rows), (
        "zero-tenure customers must be covered"
    )


def test_hidden_cases_agree_with_the_contract() -> None:
    contract = load_contract("hw1")
    customer = jsonschema.Draft202012Validator(schema_for(contract, "Customer"))
    batch = jsonschema.Draft202012Validator(schema_for(contract, "BatchRequest"))
    cases = json.loads((DEFAULT_SUITES_DIR / "hw1" / "cases.json").read_text())
    assert all(customer.is_valid(c) for c in cases["valid_customers"])
    for case in cases["invalid"]:
        if "body" not in case:
            continue
        validator = batch if case["path"] == "/predict/batch" else customer
        assert not validator.is_valid(case["body"]), f"case {case['name']!r} is actually valid"


def test_model_quality_thresholds_pass_every_honest_model_recorded() -> None:
    """Every recorded honest model clears the floors and stays under the ceiling, with a margin."""
    import json

    from grader.paths import DEFAULT_SUITES_DIR

    t = load_rubric("hw1").thresholds
    recorded = json.loads((DEFAULT_SUITES_DIR / "hw1" / "model_variants.json").read_text())
    assert len(recorded) >= 7 and "reference_on_all_7043_rows" in recorded
    for name, scores in recorded.items():
        assert t["roc_auc_floor"] + 0.02 <= scores["holdout_roc_auc"] <= t["roc_auc_ceiling"] - 0.03
        assert min(scores["agreement"]) >= t["agreement_floor"] + 0.05, name


def test_generated_customers_are_contract_valid_and_seeded_by_commit() -> None:
    import jsonschema

    from grader.contracts import load_contract, schema_for
    from grader.model.perturb import perturbed_customers
    from grader.model.reference import train_rows

    rows = train_rows()
    validator = jsonschema.Draft202012Validator(schema_for(load_contract("hw1"), "Customer"))
    first = perturbed_customers(rows, "f" * 40, 300)
    assert first == perturbed_customers(rows, "f" * 40, 300)
    assert first != perturbed_customers(rows, "e" * 40, 300)
    originals = {tuple(sorted((k, v) for k, v in r.items() if k != "churn")) for r in rows}
    new = 0
    for customer in first:
        assert not list(validator.iter_errors(customer)), customer
        if customer["internet_service"] == "No":
            assert customer["online_security"] == "No internet service"
        else:
            assert customer["streaming_tv"] != "No internet service"
        assert (customer["multiple_lines"] == "No phone service") == (
            customer["phone_service"] == 0
        )
        assert (customer["total_charges"] is None) == (customer["tenure"] == 0)
        plain = {k: v for k, v in customer.items() if k != "customer_id"}
        new += tuple(sorted(plain.items())) not in originals
    assert new >= 290  # (almost) none is a customer of the data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('id = "api.batch"', 'id = "api.batch_v2"'), "not implemented by any stage"),
        (
            ('id = "api.batch"\n', 'id = "api.batch"\nstage = "api"\n'),
            "stages come from the registry",
        ),
        (("[thresholds]", "[stages.nonsense]\nx = 1\n\n[thresholds]"), "unknown stages"),
    ],
)
def test_a_rubric_is_validated_against_the_stage_registry(
    tmp_path, change: tuple[str, str], message: str
) -> None:
    import shutil

    suites = tmp_path / "suites"
    shutil.copytree(DEFAULT_SUITES_DIR, suites)
    rubric = suites / "hw1" / "rubric.toml"
    text = rubric.read_text()
    assert change[0] in text
    rubric.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(UsageError, match=message):
        load_rubric("hw1", suites)
