"""Tests for lecture 1: the golden-metrics gate and the continuous-training replay."""

from __future__ import annotations

import csv
import importlib
import json
import pickle
import random
import re
import sys
from pathlib import Path

import jsonschema
import pytest

EXAMPLES = Path(__file__).resolve().parent / "examples"


@pytest.fixture(scope="module")
def examples():
    """Import both example modules with the examples folder on sys.path.

    They are removed from sys.modules afterwards so other lectures can reuse the file names.
    """
    names = ("golden_metrics", "continuous_training")
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(EXAMPLES))
        for name in names:
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def gm(examples):
    """The golden_metrics example module."""
    return examples["golden_metrics"]


@pytest.fixture(scope="module")
def ct(examples):
    """The continuous_training example module (it imports golden_metrics)."""
    return examples["continuous_training"]


def _rewrite_csv(source: Path, target: Path, edit) -> None:
    """Copy a CSV row by row, letting ``edit(index, row)`` change rows in place."""
    with source.open(newline="") as src, target.open("w", newline="") as dst:
        reader = csv.reader(src)
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow(next(reader))
        for index, row in enumerate(reader):
            edit(index, row)
            writer.writerow(row)


def test_committed_passport_matches_schema(gm):
    passport = json.loads(gm.DEFAULT_GOLDEN.read_text())
    schema = json.loads((EXAMPLES / "golden_metrics.schema.json").read_text())
    jsonschema.validate(passport, schema)
    assert passport["data"]["rows"] == 5607
    assert passport["floors"]["roc_auc"] == pytest.approx(
        passport["metrics"]["roc_auc"] - 0.01, abs=1e-4
    )


def test_schema_rejects_a_broken_passport(gm):
    schema = json.loads((EXAMPLES / "golden_metrics.schema.json").read_text())
    passport = json.loads(gm.DEFAULT_GOLDEN.read_text())
    passport["metrics"]["roc_auc"] = 1.7
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(passport, schema)


def test_gate_passes_on_the_course_data(gm, capsys):
    report = gm.verify(gm.DEFAULT_DATA, gm.DEFAULT_GOLDEN)
    names = [name for name, _, _ in report.checks]
    assert names == [
        "golden dataset hash",
        "golden split rows",
        "reproducible training",
        "roc_auc >= floor",
        "accuracy >= floor",
    ]
    assert report.passed, report.checks
    gm.main([])
    out = capsys.readouterr().out
    assert "GATE PASSED" in out
    assert "FAIL" not in out


def test_record_is_reproducible(gm, tmp_path):
    committed = json.loads(gm.DEFAULT_GOLDEN.read_text())
    fresh = gm.record(gm.DEFAULT_DATA, tmp_path / "passport.json")
    assert fresh["data"]["sha256"] == committed["data"]["sha256"]
    assert fresh["golden_split"] == committed["golden_split"]
    assert fresh["metrics"]["roc_auc"] == pytest.approx(committed["metrics"]["roc_auc"], abs=1e-9)
    assert 0.80 < fresh["metrics"]["roc_auc"] < 0.90


def test_gate_fails_when_labels_are_corrupted(gm, tmp_path, capsys):
    rng = random.Random(0)

    def flip(_: int, row: list[str]) -> None:
        if rng.random() < 0.35:
            row[1] = "No" if row[1] == "Yes" else "Yes"

    tampered = tmp_path / "train.csv"
    _rewrite_csv(gm.DEFAULT_DATA, tampered, flip)
    report = gm.verify(tampered, gm.DEFAULT_GOLDEN)
    status = {name: ok for name, ok, _ in report.checks}
    assert not report.passed
    assert status["golden dataset hash"] is False
    assert status["roc_auc >= floor"] is False
    assert status["reproducible training"] is True
    with pytest.raises(SystemExit) as exit_info:
        gm.main(["--data", str(tampered)])
    assert exit_info.value.code == 1
    assert "GATE FAILED" in capsys.readouterr().out


def test_one_silent_cell_change_is_caught_by_the_hash_only(gm, tmp_path):
    def nudge(index: int, row: list[str]) -> None:
        if index == 10:
            row[-2] = f"{float(row[-2]) + 0.05:.2f}"  # monthly_charges of one customer

    tampered = tmp_path / "train.csv"
    _rewrite_csv(gm.DEFAULT_DATA, tampered, nudge)
    status = {name: ok for name, ok, _ in gm.verify(tampered, gm.DEFAULT_GOLDEN).checks}
    assert status["golden dataset hash"] is False
    assert status["roc_auc >= floor"] is True


def test_continuous_training_replay(ct, tmp_path, capsys):
    registry = tmp_path / "registry"
    ct.main(["--registry", str(registry)])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("batch")]
    actions = [line.split(":", 1)[1].split()[0] for line in lines]
    assert actions == ["kept-data", "promoted", "rejected-model", "rejected-data", "promoted"]
    assert "unknown values" in lines[3]
    assert "v2" in lines[4]

    assert sorted(p.name for p in registry.iterdir() if p.is_dir()) == ["v1", "v2"]
    champion = json.loads((registry / "champion.json").read_text())
    assert champion["version"] == 2
    first = json.loads((registry / "v1" / "passport.json").read_text())
    second = json.loads((registry / "v2" / "passport.json").read_text())
    assert first["batches"] == [1, 2]
    assert second["batches"] == [1, 2, 5]
    assert second["metrics"]["roc_auc"] > first["metrics"]["roc_auc"] >= second["floor"]
    model = pickle.loads((registry / "v2" / "model.pkl").read_bytes())
    assert hasattr(model, "predict_proba")


def test_validation_accepts_clean_and_flags_broken_batches(gm, ct):
    frame = gm.load_dataset(gm.DEFAULT_DATA)
    train, golden = gm.split_golden(frame)
    vocabulary = ct.reference_vocabulary(golden)
    batches = ct.make_batches(train)
    assert ct.validate_batch(batches[0], vocabulary) == []
    assert ct.validate_batch(batches[ct.NOISY_BATCH - 1], vocabulary) == []
    problems = ct.validate_batch(batches[ct.BROKEN_BATCH - 1], vocabulary)
    assert any("contract" in p for p in problems)
    assert any("monthly_charges" in p for p in problems)
    assert ct.validate_batch(batches[0].drop(columns=["contract"]), vocabulary)


def exercise_items(readme: str) -> tuple[dict[int, str], dict[int, str]]:
    """The 'ML or Ops?' situations and the answer key's entries, by number."""
    section = readme.split("## Exercise: ML or Ops?", 1)[1].split("\n## ", 1)[0]
    questions, key = section.split('??? note "Answer key', 1)
    items = {int(n): text for n, text in re.findall(r"^(\d+)\. (.+)$", questions, re.MULTILINE)}
    answers = dict(re.findall(r"^ {4}(\d+)\. (.+(?:\n {7,}.+)*)", key, re.MULTILINE))
    return items, {int(n): text for n, text in answers.items()}


def test_ml_or_ops_exercise_has_an_answer_for_every_item() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text()
    items, answers = exercise_items(readme)
    assert len(items) >= 10
    assert sorted(answers) == sorted(items) == list(range(1, len(items) + 1))
    labels = {}
    for number, answer in answers.items():
        label = re.match(r"\*\*(ML|Ops|Both)\.\*\*\s+(.+)", answer, re.DOTALL)
        assert label, f"answer {number} does not start with **ML.**, **Ops.** or **Both.**"
        assert len(label.group(2).split()) >= 8, f"answer {number} gives no reasoning"
        labels[number] = label.group(1)
    assert set(labels.values()) == {"ML", "Ops", "Both"}  # not a one-word quiz
    # The key is collapsible (mkdocs-material admonition), so students answer before reading.
    assert '??? note "Answer key' in readme
