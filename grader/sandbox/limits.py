"""Resource limits applied to every submission process (inherited by its children)."""

from __future__ import annotations

import resource
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Wall-clock timeout, rlimits and the output cap for one sandboxed command (values: the sandbox policy)."""

    address_space_mb: int
    cpu_seconds: int
    open_files: int
    processes: int  # binds only when the command runs as the job's unprivileged uid
    file_size_mb: int
    output_bytes: int  # kept per stream: head and tail halves
    wall_seconds: float = 300.0

    def with_wall(self, seconds: float) -> Limits:
        """A copy with another wall-clock timeout."""
        return Limits(**{**self.__dict__, "wall_seconds": seconds})

    def apply(self, *, limit_processes: bool) -> None:
        """Set the rlimits in the current (child, pre-exec) process."""
        pairs = [
            (resource.RLIMIT_AS, self.address_space_mb * MB),
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_FSIZE, self.file_size_mb * MB),
            (resource.RLIMIT_CORE, 0),
        ]
        if limit_processes:
            pairs.append((resource.RLIMIT_NPROC, self.processes))
        for kind, value in pairs:
            soft, hard = resource.getrlimit(kind)
            cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (cap, cap))
