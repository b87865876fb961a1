"""Detect which isolation features this platform offers, once per grader process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Isolation:
    """What the sandbox can do here; recorded verbatim in every report."""

    level: str  # "full" | "partial" | "minimal"
    filesystem: str  # "allow-list (bubblewrap)" | "visible"
    network: str  # "private loopback (netns)" | "host"
    user: str  # "unprivileged uid per job" | "same user"
    process_limit: str  # "RLIMIT_NPROC per job uid" | "none (same user)"
    bwrap: str | None = None
    netns: bool = False
    drop_user: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        """The report's ``isolation`` field."""
        data = asdict(self)
        data["notes"] = list(self.notes)
        return data


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _bwrap_works(bwrap: str) -> bool:
    probe = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    probe += ["--unshare-pid", "--die-with-parent", "--new-session", "--", "/bin/true"]
    return _works(probe)


def _netns_works(ip: str) -> bool:
    name = f"grader-probe-{os.getpid()}"
    ok = _works([ip, "netns", "add", name])
    if ok:
        _works([ip, "netns", "del", name])
    return ok


@cache
def detect_isolation(allow: str = "auto") -> Isolation:
    """Probe bubblewrap, network namespaces and privilege dropping.

    ``allow="none"`` forces the minimal level (for debugging); ``"auto"`` uses all that works.
    """
    notes: list[str] = []
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    linux = sys.platform.startswith("linux")
    bwrap = shutil.which("bwrap") if linux and allow == "auto" else None
    if bwrap and not _bwrap_works(bwrap):
        notes.append(
            "bubblewrap is installed but cannot create namespaces here (user namespaces restricted?)"
        )
        bwrap = None
    elif linux and not bwrap and allow == "auto":
        notes.append("bubblewrap not found: the submission can read the grader's files")
    ip = shutil.which("ip") or ("/usr/sbin/ip" if Path("/usr/sbin/ip").exists() else None)
    netns = bool(linux and is_root and ip and allow == "auto" and _netns_works(ip))
    if not netns:
        notes.append(
            "no private network namespace (needs root and iproute2): the service shares the host network"
        )
    drop_user = bool(linux and is_root and shutil.which("setpriv") and allow == "auto")
    if not drop_user:
        notes.append(
            "submission runs as the grader's user: RLIMIT_NPROC and uid-based cleanup unavailable"
        )
    level = (
        "full"
        if (bwrap and netns and drop_user)
        else ("partial" if (bwrap or netns or drop_user) else "minimal")
    )
    return Isolation(
        level=level,
        filesystem="allow-list (bubblewrap)" if bwrap else "visible",
        network="private loopback (netns)" if netns else "host",
        user="unprivileged uid per job" if drop_user else "same user",
        process_limit="RLIMIT_NPROC per job uid" if drop_user else "none (same user)",
        bwrap=bwrap,
        netns=netns,
        drop_user=drop_user,
        notes=tuple(notes),
    )
