"""Lab self-check setup: the tests import the code in ``$LAB_DIR`` (default: ``starter/``).

``LAB_DIR`` may be absolute or relative to this lab folder, so ``LAB_DIR=solution`` checks the
reference. The folder goes first on ``sys.path``; the ``lab_dir`` fixture returns it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent


def _chosen_dir() -> Path:
    chosen = Path(os.environ.get("LAB_DIR", "starter"))
    path = chosen if chosen.is_absolute() else LAB / chosen
    if not path.is_dir():
        raise pytest.UsageError(f"LAB_DIR={chosen}: no such folder (looked at {path})")
    return path.resolve()


LAB_DIR = _chosen_dir()
sys.path.insert(0, str(LAB_DIR))


@pytest.fixture(scope="session")
def lab_dir() -> Path:
    """The folder under test: the starter, the solution or your own copy."""
    return LAB_DIR
