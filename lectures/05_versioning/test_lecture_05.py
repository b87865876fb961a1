"""Tests for lecture 5: git content addressing, semantic versions and the model registry."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).parent / "examples"


def load(name: str) -> ModuleType:
    """Import an example file by path under a lecture-specific module name."""
    spec = importlib.util.spec_from_file_location(f"lecture05_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_object_id_formula_matches_known_git_values() -> None:
    module = load("git_content_addressing")
    # `git hash-object` of an empty file and of "hello\n" are well-known constants.
    assert module.git_object_id("blob", b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert module.git_object_id("blob", b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert module.git_object_id("blob", b"x") == hashlib.sha1(b"blob 1\0x").hexdigest()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_real_git_agrees_with_python(tmp_path: Path) -> None:
    result = load("git_content_addressing").demo(tmp_path)
    assert result["hash_object"] == result["sha1_formula"]
    assert result["one_byte_changed"] != result["sha1_formula"]
    assert result["files_in_tree"] == 3 and result["distinct_blobs"] == 2
    assert result["tree"] == result["rebuilt_tree"]
    assert result["commit"] == result["rebuilt_commit"]
    # Fixed identity and dates make the commit id reproducible on any machine.
    assert result["commit"] == "63d686306fc214b55b4a4c8e586266aea37b029e"
    assert f"parent {result['commit']}" in result["second_commit_text"]
    assert result["card_blob_reused"] is True
    assert result["object_counts"] == {"blob": 3, "commit": 2, "tree": 2}
    assert result["branch_file"] == result["head_after"] != result["commit"]


def test_semver_precedence_follows_the_spec() -> None:
    version = load("semver").Version
    spec_order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    parsed = [version.parse(v) for v in reversed(spec_order)]
    assert [str(v) for v in sorted(parsed)] == spec_order
    assert version.parse("1.4.0+build.7") == version.parse("1.4.0")
    assert str(version.parse("1.4.0-rc.1+git.3f2a")) == "1.4.0-rc.1+git.3f2a"
    for bad in ["1.2", "01.2.3", "1.2.3-", "v1.2.3", "1.2.3-01"]:
        with pytest.raises(ValueError):
            version.parse(bad)


def test_semver_bumps_and_compatibility() -> None:
    module = load("semver")
    v = module.Version.parse("1.2.3-rc.1")
    assert (str(v.bump("major")), str(v.bump("minor")), str(v.bump("patch"))) == (
        "2.0.0",
        "1.3.0",
        "1.2.4",
    )
    need = module.Version.parse("1.2.0")
    assert module.Version.parse("1.9.0").is_compatible_with(need)
    assert not module.Version.parse("2.0.0").is_compatible_with(need)
    assert not module.Version.parse("1.1.9").is_compatible_with(need)
    assert not module.Version.parse("0.3.0").is_compatible_with(module.Version.parse("0.2.0"))
    assert [v for _, v in module.release_history()] == ["1.0.1", "1.1.0", "1.2.0", "1.2.1", "2.0.0"]


def test_registry_gates_promotes_and_rolls_back(tmp_path: Path) -> None:
    module = load("model_registry")
    result = module.run_story(tmp_path)
    assert result["refused"] == [2]  # the weak candidate never reaches Production
    assert result["v2"]["roc_auc"] < module.GOLDEN_METRICS["roc_auc"] <= result["v1"]["roc_auc"]
    assert result["production_before_rollback"] == 3
    assert result["rolled_back_to"] == result["production_after_rollback"] == 1
    assert result["stages"]["Archived"] == [3]
    assert result["loaded_auc"] == result["recorded_auc"]
    meta = result["meta"]
    data_hash = hashlib.sha256((module.DATA).read_bytes()).hexdigest()
    assert meta["data_sha256"] == data_hash
    assert meta["params"] == {"C": 1.0}
    assert len(meta["code_commit"]) == 40 or meta["code_commit"] == "unknown"
    assert result["events"] == [
        "registered",
        "promoted",
        "registered",
        "promotion_refused",
        "registered",
        "promoted",
        "rolled_back",
    ]
    assert result["tamper_detected"] is True


def test_registry_refuses_rollback_without_history(tmp_path: Path) -> None:
    module = load("model_registry")
    registry = module.ModelRegistry(tmp_path)
    version = registry.register("toy", {"weights": [1, 2]}, {"metrics": {"roc_auc": 0.9}})
    assert registry.stage_of("toy", "Staging") == version == 1
    with pytest.raises(LookupError):
        registry.load("toy")
    with pytest.raises(module.PromotionRefused):
        registry.promote("toy", version, {"roc_auc": 0.95})
    registry.promote("toy", version, {"roc_auc": 0.85})
    model, meta = registry.load("toy")
    assert model == {"weights": [1, 2]} and meta["version"] == 1
    with pytest.raises(RuntimeError):
        registry.rollback("toy")


def test_examples_print_their_story(capsys: pytest.CaptureFixture[str]) -> None:
    load("semver").main()
    load("model_registry").main()
    out = capsys.readouterr().out
    assert "1.0.0-rc.1 < 1.0.0" in out
    assert "refused: ['v2']" in out
    assert "rollback -> Production is v1" in out


def test_mlflow_registry_gates_promotes_and_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same story with real MLflow tracking and model registry on a local SQLite store."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage reports from tests
    module = load("mlflow_registry")
    result = module.run_story(tmp_path)
    assert (tmp_path / "mlflow.db").is_file()
    assert result["runs"] == 3
    assert result["versions"] == {1: "passed", 2: "refused", 3: "passed"}
    assert result["refused"] == [2] and result["champions"] == [1, 3]
    assert result["champion_before_rollback"] == 3
    assert result["champion_after_rollback"] == 1
    assert result["loaded_auc"] == result["recorded_auc"] == result["v1"]["roc_auc"]
    floor = module.files.GOLDEN_METRICS["roc_auc"]
    assert result["v2"]["roc_auc"] < floor <= result["v1"]["roc_auc"]
    tags = result["champion_run"]["tags"]
    data_hash = hashlib.sha256(module.files.DATA.read_bytes()).hexdigest()
    assert tags["data_sha256"] == data_hash
    assert len(tags["artefact_sha256"]) == 64
    assert result["champion_run"]["params"] == {"C": "1.0", "columns": "all"}
