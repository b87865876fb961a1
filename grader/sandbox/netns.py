"""Private network namespaces: the service gets its own loopback; the grader joins it to probe."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _ip() -> str:
    return shutil.which("ip") or "/usr/sbin/ip"


def create(name: str) -> None:
    """Create namespace ``name`` with its loopback up and nothing else."""
    subprocess.run([_ip(), "netns", "add", name], check=True, capture_output=True, timeout=20)
    subprocess.run(
        [_ip(), "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True, timeout=20
    )


def delete(name: str) -> None:
    """Remove the namespace (processes still inside keep it alive until they die)."""
    subprocess.run([_ip(), "netns", "del", name], capture_output=True, timeout=20)


def exec_prefix(name: str) -> list[str]:
    """Command prefix that runs a program inside the namespace."""
    return [_ip(), "netns", "exec", name]


def call_in(name: str | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a fresh thread that has joined namespace ``name`` (the caller's thread stays put).

    Sockets keep the namespace they were created in, so clients made inside ``fn`` reach the
    service's private loopback. With ``name=None`` it simply calls ``fn``.
    """
    if name is None:
        return fn()
    box: dict[str, object] = {}

    def target() -> None:
        fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed")
        finally:
            os.close(fd)
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"netns-{name}")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def reap_stale(prefix: str = "grader-", max_age_s: float = 3600.0) -> list[str]:
    """Delete our namespaces left by a grader that was killed: old, named ``prefix*``, with no process inside."""
    import time
    from pathlib import Path

    removed = []
    for entry in Path("/var/run/netns").glob(f"{prefix}*"):
        try:
            if time.time() - entry.stat().st_mtime < max_age_s:
                continue
            pids = subprocess.run(
                [_ip(), "netns", "pids", entry.name], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if pids.returncode == 0 and not pids.stdout.strip():
            delete(entry.name)
            removed.append(entry.name)
    return removed
