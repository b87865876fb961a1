"""Machine-wide locks: load windows run exclusively, every other stage takes a shared lock."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = Path(tempfile.gettempdir()) / "mlops-grader-load.lock"


@contextmanager
def _flock(mode: int) -> Iterator[None]:
    with open(LOCK_FILE, "a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_stage() -> contextmanager:  # type: ignore[valid-type]
    """Held by every non-load stage: many at once, never during a load window."""
    return _flock(fcntl.LOCK_SH)


def exclusive_load() -> contextmanager:  # type: ignore[valid-type]
    """Held by a load window (and the calibration measurement): nothing else of any job runs."""
    return _flock(fcntl.LOCK_EX)


BUILD_LOCK_FILE = Path(tempfile.gettempdir()) / "mlops-grader-build.lock"


@contextmanager
def exclusive_build() -> Iterator[None]:
    """Held around an image build: one build at a time on the machine (each wants every core),
    while other jobs' shared stages go on. Taken inside the shared stage lock, never around it."""
    with open(BUILD_LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
