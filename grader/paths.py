"""Where the grader finds its shipped data: contracts, suites, policy, calibration service."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTRACTS_DIR = PACKAGE_DIR / "contracts"
POLICY_DIR = PACKAGE_DIR / "policy"
RUFF_CONFIG = POLICY_DIR / "ruff.toml"
DEFAULT_SUITES_DIR = PACKAGE_DIR / "suites"
DEFAULT_COURSE_CONFIG = PACKAGE_DIR / "course" / "course.toml"
CALIBRATION_DIR = PACKAGE_DIR / "calibration"

SUITES_ENV = "GRADER_SUITES_DIR"


def suites_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The suites location: an explicit override, else ``$GRADER_SUITES_DIR``, else the shipped suites."""
    chosen = override or os.environ.get(SUITES_ENV)
    return Path(chosen).resolve() if chosen else DEFAULT_SUITES_DIR
