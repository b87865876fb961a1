"""Tests for lecture 9: real DVC on the churn pipeline, the DVC files and the data validation suites."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

EXAMPLES = Path(__file__).resolve().parent / "examples"
DATA = Path(__file__).resolve().parents[2] / "data" / "train.csv"
YAMLLINT = YamlLintConfig(
    "{extends: default, rules: {line-length: {max: 100}, document-start: disable,"
    " indentation: {indent-sequences: consistent}}}"
)


def _load(name: str) -> ModuleType:
    key = f"lecture09_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


val = _load("churn_validation")


# ----------------------------------------------------------------------------- DVC files
def test_pointer_file_matches_the_course_data() -> None:
    """Like `dvc status`: the committed pointer still describes data/train.csv."""
    (entry,) = yaml.safe_load((EXAMPLES / "train.csv.dvc").read_text())["outs"]
    assert entry["hash"] == "md5"
    assert entry["md5"] == hashlib.md5(DATA.read_bytes()).hexdigest()
    assert entry["size"] == DATA.stat().st_size


STAGE_KEYS = {"cmd", "deps", "params", "outs", "metrics", "plots", "wdir", "desc", "frozen"}


def _paths(items: list) -> list[str]:
    """Entries of deps/outs/metrics are either strings or one-key mappings with options."""
    return [item if isinstance(item, str) else next(iter(item)) for item in items or []]


def _lookup(params: dict, dotted: str) -> object:
    node: object = params
    for part in dotted.split("."):
        assert isinstance(node, dict) and part in node, dotted
        node = node[part]
    return node


def test_dvc_yaml_is_a_consistent_pipeline() -> None:
    pipeline = yaml.safe_load((EXAMPLES / "dvc.yaml").read_text())
    params = yaml.safe_load((EXAMPLES / "params.yaml").read_text())
    stages = pipeline["stages"]
    producers: dict[str, str] = {}
    for name, stage in stages.items():
        assert set(stage) <= STAGE_KEYS, name
        assert isinstance(stage["cmd"], str) and stage["cmd"].strip()
        for ref in re.findall(r"\$\{([\w.]+)\}", stage["cmd"]):
            _lookup(params, ref)
        templated = set(re.findall(r"\$\{([\w.]+)\}", stage["cmd"]))
        assert templated <= set(stage.get("params", [])), f"{name} must track {templated}"
        for key in stage.get("params", []):
            _lookup(params, key)
        for out in _paths(stage.get("outs")) + _paths(stage.get("metrics")):
            assert out not in producers, f"{out} produced twice"
            producers[out] = name
    edges = {
        (producers[dep], name)
        for name, stage in stages.items()
        for dep in _paths(stage.get("deps"))
        if dep in producers
    }
    assert edges == {
        ("validate", "split"),
        ("split", "train"),
        ("split", "evaluate"),
        ("train", "evaluate"),
    }
    sources = {d for s in stages.values() for d in _paths(s.get("deps"))} - set(producers)
    assert "data/train.csv" in sources  # the raw data comes from `dvc add`, not a stage
    assert stages["evaluate"]["metrics"] == [{"metrics.json": {"cache": False}}]


@pytest.mark.parametrize("name", ["dvc.yaml", "params.yaml", "train.csv.dvc"])
def test_yaml_files_pass_yamllint(name: str) -> None:
    assert list(linter.run((EXAMPLES / name).read_text(), YAMLLINT)) == []


# ----------------------------------------------------------------------------- validation
@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_real_data_passes_every_expectation(df: pd.DataFrame) -> None:
    results = val.validate(df)
    assert len(results) == 10
    assert val.failed(results) == set()


SOME = [3, 50, 400]
CORRUPTIONS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], set[str]]] = {
    "target_lowercase": (lambda d: d.assign(churn=d["churn"].str.lower()), {"enums"}),
    "unknown_contract": (
        lambda d: d.assign(contract=d["contract"].replace("Two year", "2 year")),
        {"enums"},
    ),
    "negative_tenure": (
        lambda d: d.assign(tenure=d["tenure"].mask(d.index.isin(SOME), -3)),
        {"ranges"},
    ),
    "huge_monthly_charge": (
        lambda d: d.assign(monthly_charges=d["monthly_charges"].mask(d.index == 10, 7000.0)),
        {"ranges", "total_vs_monthly"},
    ),
    "null_outside_total_charges": (
        lambda d: d.assign(payment_method=d["payment_method"].mask(d.index.isin(SOME))),
        {"nulls"},
    ),
    "total_charges_lost": (
        lambda d: d.assign(total_charges=d["total_charges"].mask(d.index.isin(SOME))),
        {"nulls"},
    ),
    "new_customer_with_total": (
        lambda d: d.assign(total_charges=d["total_charges"].fillna(10.0)),
        {"nulls"},
    ),
    "duplicate_id": (lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True), {"unique_ids"}),
    "text_charges": (
        lambda d: d.assign(monthly_charges="$" + d["monthly_charges"].astype(str)),
        {"types"},
    ),
    "flag_out_of_domain": (
        lambda d: d.assign(female=d["female"].mask(d.index == 5, 2)),
        {"binary_flags"},
    ),
    "dropped_column": (
        lambda d: d.drop(columns=["tenure"]),
        {"columns", "nulls", "total_vs_monthly"},
    ),
    "internet_contradiction": (
        lambda d: d.assign(
            online_backup=d["online_backup"].mask(d["internet_service"] == "No", "No")
        ),
        {"consistency"},
    ),
    "truncated_export": (lambda d: d.head(200), {"row_count"}),
    "total_inflated": (
        lambda d: d.assign(total_charges=d["total_charges"].mask(d.index.isin(SOME), 59_000.0)),
        {"total_vs_monthly"},
    ),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_corruption_is_caught_by_the_right_expectation(df: pd.DataFrame, name: str) -> None:
    corrupt, expected = CORRUPTIONS[name]
    assert val.failed(val.validate(corrupt(df.copy()))) == expected


def test_failing_rows_are_counted(df: pd.DataFrame) -> None:
    corrupt, _ = CORRUPTIONS["negative_tenure"]
    (ranges,) = [r for r in val.validate(corrupt(df.copy())) if r.name == "ranges"]
    assert ranges.failing_rows == len(SOME)


def test_psi_separates_stable_and_shifted_batches(df: pd.DataFrame) -> None:
    assert val.psi(df["tenure"], df["tenure"]) == pytest.approx(0.0, abs=1e-9)
    stable = df.sample(1500, random_state=1)
    report = val.drift_report(df, stable)
    assert max(report.values()) < 0.1
    shifted = stable.assign(monthly_charges=stable["monthly_charges"] * 1.25)
    assert val.drift_report(df, shifted)["monthly_charges"] > 0.25
    month_to_month = df[df["contract"] == "Month-to-month"].sample(1500, random_state=3)
    assert val.psi(df["contract"], month_to_month["contract"]) > 0.25
    assert val.ingest(df, stable) == "accept"
    assert val.ingest(df, shifted) == "review"
    broken = stable.assign(churn=np.where(stable["churn"] == "Yes", "Y", "N"))
    assert val.ingest(df, broken) == "reject"


def test_validation_demo(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "churn_validation.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("PASS") == 10
    assert "FAIL" not in out
    assert re.search(r"duplicated customer\s+-> \['unique_ids'\]", out)
    assert re.search(r"column dropped\s+-> \['columns'\]", out)
    assert "ingestion decisions: {'random': 'accept', 'priced up': 'review'}" in out


# ----------------------------------------------------------------------------- pandera
def _schema() -> ModuleType:
    key = "lecture09_churn_schema"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, EXAMPLES / "src" / "churn_schema.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def test_pandera_schema_accepts_the_real_data(df: pd.DataFrame) -> None:
    assert _schema().failed_expectations(df) == set()


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_pandera_schema_catches_every_corruption(df: pd.DataFrame, name: str) -> None:
    """The real tool catches what the hand-written suite catches (sometimes a little more: a
    dataframe-wide check that cannot compute on a broken column reports itself too)."""
    corrupt, expected = CORRUPTIONS[name]
    assert expected <= _schema().failed_expectations(corrupt(df.copy()))


# ----------------------------------------------------------------------------- real DVC
def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Course", "-c", "user.email=course@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _names(stages: list) -> set[str]:
    return {stage.addressing for stage in stages}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside DVC's own dependencies
def test_dvc_versions_the_data_and_reproduces_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_tool
) -> None:
    """dvc add, a local remote, dvc repro (and its cache), dvc diff after a data change."""
    require_tool("git")
    from dvc.repo import Repo

    root, remote = tmp_path / "project", tmp_path / "remote"
    (root / "data").mkdir(parents=True)
    shutil.copyfile(DATA, root / "data" / "train.csv")
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copyfile(EXAMPLES / name, root / name)
    shutil.copytree(EXAMPLES / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(root)
    # stage commands call `python`: make it the course environment's interpreter
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    _git(root, "init", "-q")
    repo = Repo.init(str(root))
    with repo.config.edit() as config:
        config["core"]["remote"] = "local"
        config["remote"]["local"] = {"url": str(remote)}

    repo.add("data/train.csv")
    pointer = (root / "data" / "train.csv.dvc").read_text()
    assert pointer == (EXAMPLES / "train.csv.dvc").read_text()  # the committed pointer is real
    assert "/train.csv" in (root / "data" / ".gitignore").read_text().split()
    # content addressing, DVC 3 layout: the object's path is its md5, split after two characters
    md5 = hashlib.md5(DATA.read_bytes()).hexdigest()
    cache = root / ".dvc" / "cache" / "files" / "md5"
    assert (cache / md5[:2] / md5[2:]).read_bytes() == DATA.read_bytes()
    shutil.copyfile(DATA, root / "data" / "same_bytes.csv")
    repo.add("data/same_bytes.csv")
    assert [p for p in cache.rglob("*") if p.is_file()] == [
        cache / md5[:2] / md5[2:]
    ]  # stored once

    ran = repo.reproduce()
    assert _names(ran) == {"validate", "split", "train", "evaluate"}
    lock = yaml.safe_load((root / "dvc.lock").read_text())
    assert lock["stages"]["train"]["params"]["params.yaml"] == {"train.C": 1.0, "train.seed": 42}
    metrics = json.loads((root / "metrics.json").read_text())
    assert 0.80 <= metrics["roc_auc"] <= 0.90
    assert repo.push() == 4  # the data (one object for both copies), the split, the model
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "data v1 and the pipeline")

    assert _names(repo.reproduce()) == set()  # nothing changed: every stage is skipped
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["train"]["C"] = 0.1
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    assert _names(repo.reproduce()) == {"train", "evaluate"}
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "C=0.1")

    # New data: drop the last 500 customers, version it, compare with the commit.
    lines = DATA.read_text().splitlines(keepends=True)
    (root / "data" / "train.csv").write_text("".join(lines[:-500]))
    repo.add("data/train.csv")
    diff = repo.diff()
    assert [entry["path"] for entry in diff["modified"]] == ["data/train.csv"]
    # `dvc status`: the stages that read the data are out of date (the rest follow once they run)
    assert set(repo.status()) == {"validate", "split"}

    # Back to the committed version: restore the pointer with git, the bytes with dvc.
    _git(root, "checkout", "--", "data/train.csv.dvc")
    shutil.rmtree(root / ".dvc" / "cache")
    (root / "data" / "train.csv").unlink()
    Repo(str(root)).pull(targets=["data/train.csv"])  # a fresh clone's view: cache empty
    assert (root / "data" / "train.csv").read_bytes() == DATA.read_bytes()
