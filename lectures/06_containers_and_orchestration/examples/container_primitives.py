"""A container is a process: look at the kernel features that make one, from inside this process.

Docker and Kubernetes do not run "virtual machines". They start ordinary Linux processes placed in
their own *namespaces* (what the process can see: process ids, network interfaces, mounts,
hostname, users) and *cgroups* (how much it may use: CPU, memory, pids). Every process has both,
containerised or not; this script prints the ones of the Python process running it.

Linux only (it reads /proc and /sys/fs/cgroup); elsewhere it says so and exits.

Run: uv run python lectures/06_containers_and_orchestration/examples/container_primitives.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NAMESPACE_MEANING = {
    "pid": "which process ids it sees (PID 1 inside a container is its entrypoint)",
    "net": "network interfaces, IPs, ports, routing",
    "mnt": "the mount table: the image's root filesystem",
    "uts": "hostname",
    "ipc": "shared memory and message queues",
    "user": "user and group id mapping (root inside can be nobody outside)",
    "cgroup": "which part of the cgroup tree it sees",
    "time": "boot and monotonic clock offsets",
}


def namespaces(pid: str = "self") -> dict[str, str]:
    """Namespace kind -> identifier, e.g. {"net": "net:[4026531840]"} (same id = shared)."""
    ns_dir = Path(f"/proc/{pid}/ns")
    result = {}
    for entry in sorted(ns_dir.iterdir()):
        try:
            result[entry.name] = os.readlink(entry)
        except OSError:
            continue
    return result


def cgroup_path() -> str:
    """This process's cgroup (v2 unified hierarchy line, or the first v1 line)."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    unified = [line for line in lines if line.startswith("0::")]
    return (unified or lines)[0].split(":", 2)[2]


def cgroup_limits() -> dict[str, str]:
    """Memory and CPU limits visible to this process ("max" or a huge number = unlimited).

    Looks at cgroup v2 files first, then at the cgroup v1 memory and cpu controllers.
    """
    root = Path("/sys/fs/cgroup")
    own = root / cgroup_path().lstrip("/")
    candidates = {
        "memory.max": [own / "memory.max", root / "memory.max"],
        "cpu.max": [own / "cpu.max", root / "cpu.max"],
        "memory.limit_in_bytes (v1)": [root / "memory" / "memory.limit_in_bytes"],
        "cpu.cfs_quota_us (v1)": [root / "cpu" / "cpu.cfs_quota_us"],
    }
    limits = {}
    for name, files in candidates.items():
        for file in files:
            if file.is_file():
                limits[name] = file.read_text().strip()
                break
    return limits


def main() -> None:
    """Print namespaces, cgroup and limits of this process."""
    if not sys.platform.startswith("linux"):
        print("This example needs Linux: containers are a Linux kernel feature.")
        return
    print(f"process {os.getpid()} namespaces:")
    for kind, ident in namespaces().items():
        meaning = NAMESPACE_MEANING.get(kind, "(applies to children this process starts)")
        print(f"  {kind:<18} {ident.split(':')[1]:<14} {meaning}")
    print(f"cgroup: {cgroup_path()}")
    limits = cgroup_limits()
    for name, value in limits.items():
        print(f"  {name} = {value}")
    if not limits:
        print("  no limit files visible")
    in_container = Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()
    print(f"container marker files present: {in_container}")


if __name__ == "__main__":
    main()
