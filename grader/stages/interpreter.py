"""Choose the Python interpreter a submission's environment is built on."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

CANDIDATES = (
    "/usr/bin/python3.11",
    "/usr/bin/python3.12",
    "/usr/bin/python3.13",
    "/usr/bin/python3",
)


def _others_can_run(path: Path) -> bool:
    """True when a different, unprivileged user can execute ``path`` (every parent traversable)."""
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    if not real.stat().st_mode & stat.S_IXOTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)


def submission_python(drop_user: bool) -> str:
    """The grader's own base interpreter, or (when the job runs as another uid) one that uid can run."""
    own = Path(getattr(sys, "_base_executable", sys.executable))
    override = os.environ.get("GRADER_SUBMISSION_PYTHON")
    if override:
        return override
    if not drop_user or _others_can_run(own):
        return str(own)
    for candidate in CANDIDATES:
        if _others_can_run(Path(candidate)):
            return candidate
    return str(own)
