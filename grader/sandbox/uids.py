"""Allocate an unprivileged uid per grading job: unique within the run, locked against other runs.

A uid is never handed out twice by the same grader process (a batch is one process), so files or
processes a job leaves behind can never be mistaken for, or reached by, a later job of the run.
The per-uid lock file keeps two concurrent grader processes from sharing a uid.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "mlops-grader-uids"
_used_in_this_run: set[int] = set()
_guard = threading.Lock()


class UidLease:
    """Holds an exclusive lock on one uid of the policy's pool until released."""

    def __init__(self) -> None:
        from grader.sandbox.policy import load_sandbox_policy

        policy = load_sandbox_policy()
        LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
        start = (os.getpid() * 7) % policy.uid_count
        with _guard:
            for offset in range(policy.uid_count):
                uid = policy.uid_first + (start + offset) % policy.uid_count
                if uid in _used_in_this_run:
                    continue
                handle = open(LOCK_DIR / f"{uid}.lock", "w")  # noqa: SIM115 - held for the lease
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                _used_in_this_run.add(uid)
                self.uid = uid
                self._handle = handle
                return
        raise RuntimeError(
            "no free sandbox uid: every uid of the policy's pool was used in this run"
        )

    def release(self) -> None:
        """Unlock the uid for other grader processes (this run never reuses it)."""
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
