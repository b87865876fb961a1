"""Shared test fixtures (system-tool requirements, the repository root) and the lab collection rule."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def _require(condition: bool, what: str) -> None:
    """Skip naming ``what`` on a laptop; fail under CI=true (where .ci/run must have provided it)."""
    if condition:
        return
    message = f"needs {what}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: .ci/run must install it)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The course repository root."""
    return ROOT


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    """``require_tool("chromium")`` returns the tool's path, or skips/fails naming it."""

    def require(name: str) -> str:
        path = shutil.which(name)
        _require(path is not None, name)
        return path  # type: ignore[return-value]

    return require


@pytest.fixture(scope="session")
def require_full_isolation() -> None:
    """The grader's full isolation: root, bubblewrap, network namespaces, setpriv."""
    from grader.sandbox import detect_isolation

    isolation = detect_isolation()
    _require(
        isolation.level == "full",
        "full sandbox isolation (root, bubblewrap, iproute2 netns, setpriv)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave ``lectures/*/lab/`` out unless the command line names the lab (or a file in it).

    A lab's tests check the student's copy named by ``$LAB_DIR`` and fail on the starter by
    design, so the normal run reaches them only through ``tests/lectures/test_labs.py``. A student
    running ``uv run pytest lectures/NN_slug/lab`` still gets them.
    """
    if collection_path.name != "lab" or collection_path.parent.parent != ROOT / "lectures":
        return None
    here = config.invocation_params.dir
    named = [(here / str(arg).split("::")[0]).resolve() for arg in config.args]
    if any(path == collection_path or collection_path in path.parents for path in named):
        return None
    return True
