"""Self-check for lab 5: reproducible artefacts, semantic versions, an immutable registry."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
from pathlib import Path

import model_release
import pytest

HW1_MODEL = Path(__file__).resolve().parents[4] / "homework" / "hw1_api" / "solution" / "model"
INTERFACE = {"inputs": ["tenure", "contract"], "outputs": ["churn_probability"]}


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A copy of the hw1 reference model folder."""
    return Path(shutil.copytree(HW1_MODEL, tmp_path / "model"))


def test_pack_is_reproducible(model_dir: Path, tmp_path: Path) -> None:
    first = model_release.pack(model_dir, tmp_path / "first.tar.gz")
    # The same content written again, in another order, with other times and permissions.
    again = tmp_path / "again"
    again.mkdir()
    for path in sorted(model_dir.iterdir(), reverse=True):
        (again / path.name).write_bytes(path.read_bytes())
        os.utime(again / path.name, (1_000_000_000, 1_000_000_000))
        (again / path.name).chmod(0o600)
    second = model_release.pack(again, tmp_path / "second.tar.gz")
    assert first == second, "same files, same content: the archives must be identical"
    assert first == hashlib.sha256((tmp_path / "first.tar.gz").read_bytes()).hexdigest()


def test_pack_keeps_names_and_contents(model_dir: Path, tmp_path: Path) -> None:
    model_release.pack(model_dir, tmp_path / "model.tar.gz")
    with tarfile.open(tmp_path / "model.tar.gz") as tar:
        names = tar.getnames()
        content = tar.extractfile("model.json").read()  # type: ignore[union-attr]
    assert names == ["metrics.json", "model.json"]
    assert content == (model_dir / "model.json").read_bytes()


def test_pack_changes_with_one_byte(model_dir: Path, tmp_path: Path) -> None:
    before = model_release.pack(model_dir, tmp_path / "a.tar.gz")
    metrics = model_dir / "metrics.json"
    metrics.write_text(metrics.read_text() + " ")
    assert model_release.pack(model_dir, tmp_path / "b.tar.gz") != before


@pytest.mark.parametrize(
    ("current", "change", "expected"),
    [
        (None, "major", "1.0.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.9.9", "minor", "1.10.0"),
    ],
)
def test_next_version(current: str | None, change: str, expected: str) -> None:
    assert model_release.next_version(current, change) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["1.2", "v1.2.3", "01.2.3", "1.2.3-rc.1", ""])
def test_next_version_rejects_what_is_not_semver(bad: str) -> None:
    with pytest.raises(ValueError, match="version"):
        model_release.next_version(bad, "patch")


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (INTERFACE, "patch"),
        ({**INTERFACE, "outputs": ["churn_probability", "churn"]}, "minor"),
        ({**INTERFACE, "outputs": ["probability"]}, "major"),
        ({**INTERFACE, "inputs": ["tenure", "contract", "gender"]}, "major"),
        ({**INTERFACE, "inputs": ["tenure"]}, "major"),
    ],
    ids=["retrained", "new-output", "renamed-output", "new-input", "dropped-input"],
)
def test_classify_change(new: dict[str, list[str]], expected: str) -> None:
    assert model_release.classify_change(INTERFACE, new) == expected


def test_release_story(model_dir: Path, tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    assert model_release.release(registry, model_dir, INTERFACE) == "1.0.0"
    assert model_release.release(registry, model_dir, INTERFACE) == "1.0.0", "nothing changed"
    metrics = model_dir / "metrics.json"
    metrics.write_text(metrics.read_text() + "\n")  # a retrain with the same interface
    assert model_release.release(registry, model_dir, INTERFACE) == "1.0.1"
    wider = {**INTERFACE, "outputs": ["churn_probability", "churn"]}
    assert model_release.release(registry, model_dir, wider) == "1.1.0"
    assert model_release.release(registry, model_dir, {**wider, "inputs": ["tenure"]}) == "2.0.0"
    assert sorted(p.name for p in registry.iterdir() if p.is_dir()) == [
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    record = json.loads((registry / "1.0.1" / "release.json").read_text())
    digest = hashlib.sha256((registry / "1.0.1" / "model.tar.gz").read_bytes()).hexdigest()
    assert record["sha256"] == digest
