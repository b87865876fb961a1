"""Release a model folder into a file-system registry: reproducible archive, semantic version.

* ``pack`` writes a ``.tar.gz`` whose bytes depend only on the files' names and contents: not on
  modification times, owners, permissions or the order the files were created in. Rebuilding the
  same model gives the same SHA-256, so the digest identifies the content.
* ``next_version`` bumps a plain ``MAJOR.MINOR.PATCH`` version.
* ``classify_change`` reads the change from the model's interface (inputs and outputs): what
  breaks a client is MAJOR, a new output is MINOR, a retrain behind the same interface is PATCH.
* ``release`` puts it together: an unchanged artefact keeps its version, releases are never
  overwritten.

Lab starter: ``release`` is done; ``pack``, ``next_version`` and ``classify_change`` are not.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from pathlib import Path
from typing import Any, Literal

Change = Literal["major", "minor", "patch"]
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
FIRST_VERSION = "1.0.0"


def pack(model_dir: Path, archive: Path) -> str:
    """Write ``model_dir``'s files into a reproducible ``archive`` (.tar.gz); return its SHA-256."""
    # TODO: the archive changes whenever a file is touched (mtime), and gzip adds a timestamp and
    # the file name of its own. Make the bytes depend only on the files' names and contents.
    with tarfile.open(archive, mode="w:gz") as tar:
        for path in model_dir.rglob("*"):
            tar.add(path, arcname=path.relative_to(model_dir).as_posix())
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def next_version(current: str | None, change: Change) -> str:
    """The version after ``current`` for a change of this kind; the first release is 1.0.0."""
    # TODO: None -> FIRST_VERSION; bump the right part and reset the ones after it; a string that
    # is not MAJOR.MINOR.PATCH (SEMVER) is a ValueError naming it.
    raise NotImplementedError("next_version")


def classify_change(old: dict[str, list[str]], new: dict[str, list[str]]) -> Change:
    """MAJOR if an input was added or removed or an output removed; MINOR if an output was added."""
    # TODO: compare the sets of inputs and outputs (see the docstring and the lab README).
    raise NotImplementedError("classify_change")


def latest_release(registry: Path) -> dict[str, Any] | None:
    """The newest release's record, or None for an empty registry."""
    records = [json.loads(p.read_text()) for p in registry.glob("*/release.json")]
    if not records:
        return None
    return max(records, key=lambda r: tuple(int(x) for x in r["version"].split(".")))


def release(registry: Path, model_dir: Path, interface: dict[str, list[str]]) -> str:
    """Publish ``model_dir`` as a new version, or return the current one if nothing changed."""
    registry.mkdir(parents=True, exist_ok=True)
    staging = registry / ".staging.tar.gz"
    digest = pack(model_dir, staging)
    latest = latest_release(registry)
    if latest is not None and latest["sha256"] == digest and latest["interface"] == interface:
        staging.unlink()
        return latest["version"]
    if latest is None:
        version = next_version(None, "major")
    else:
        version = next_version(latest["version"], classify_change(latest["interface"], interface))
    target = registry / version
    target.mkdir()  # raises FileExistsError: a published version is never overwritten
    staging.rename(target / "model.tar.gz")
    record = {"version": version, "sha256": digest, "interface": interface}
    (target / "release.json").write_text(json.dumps(record, indent=2) + "\n")
    return version
