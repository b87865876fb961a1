"""Allocate a distinct unprivileged uid per grading job (so RLIMIT_NPROC and cleanup are per job)."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

UID_BASE = 61000
UID_COUNT = 1000
LOCK_DIR = Path(tempfile.gettempdir()) / "mlops-grader-uids"


class UidLease:
    """Holds an exclusive lock on one uid from the pool until released."""

    def __init__(self) -> None:
        LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
        start = (os.getpid() * 7) % UID_COUNT
        for offset in range(UID_COUNT):
            uid = UID_BASE + (start + offset) % UID_COUNT
            handle = open(LOCK_DIR / f"{uid}.lock", "w")  # noqa: SIM115 - held for the lease's lifetime
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.uid = uid
            self._handle = handle
            return
        raise RuntimeError("no free sandbox uid")

    def release(self) -> None:
        """Give the uid back to the pool."""
        self._handle.close()


def processes_of_uid(uid: int) -> list[int]:
    """Pids whose real or effective uid is ``uid`` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("Uid:"):
                    real, effective = (int(v) for v in line.split()[1:3])
                    if uid in (real, effective):
                        pids.append(int(entry.name))
                    break
        except (OSError, ValueError):
            continue
    return pids
