"""Where the monitoring checks run: a grader-owned copy of the submission's ``monitoring/``.

The submission's files are hostile data. They are read without following symbolic links, with
size limits, and YAML is parsed with ``safe_load`` (aliases refused: a few nested ones can make a
document blow up when it is written again). ``promtool`` and ``prometheus`` run under the job's
sandbox (its filesystem allow-list and network namespace) as an unprivileged uid of their own, in
a directory that uid owns: the submission's processes can neither read the grader's hidden rule
tests nor touch the server's data, and the tools see no host file the sandbox does not show.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from grader.sandbox import netns
from grader.sandbox.runner import ProcessResult, RunningProcess, Sandbox
from grader.sandbox.uids import UidLease, processes_of_uid

T = TypeVar("T")
MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 8_000_000
MAX_FILES = 300
COPIED_SUFFIXES = (".yml", ".yaml", ".json")


class HostileInput(ValueError):
    """A submission file the grader refuses to use; the message is feedback."""


def read_file(root: Path, relative: str, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """``root/relative`` as text, or ``None`` when it is missing; never follows a symbolic link.

    Raises :class:`HostileInput` for a link, a non-regular file or one above ``max_bytes``.
    """
    path = root / relative
    try:
        resolved_parent = path.parent.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved_parent.is_relative_to(root.resolve()):
        raise HostileInput(f"{relative}: a directory on its path is a link out of the repository")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HostileInput(f"{relative}: not a regular file ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise HostileInput(f"{relative}: not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HostileInput(f"{relative}: larger than {max_bytes // 1000} kB")
    return data.decode("utf-8", errors="replace")


def load_yaml(text: str, where: str) -> Any:
    """``yaml.safe_load`` of one document without aliases; :class:`HostileInput` on bad YAML."""
    try:
        for event in yaml.parse(text):
            if isinstance(event, yaml.AliasEvent):
                raise HostileInput(f"{where}: YAML aliases (*name) are not accepted")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise HostileInput(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from exc


@dataclass
class Workspace:
    """The grader's copy of ``monitoring/`` and the uid its tools run as (``with`` ends both)."""

    box: Sandbox
    root: Path = field(init=False)
    skipped: list[str] = field(default_factory=list)  # files not copied, and why
    _lease: UidLease | None = None
    _processes: list[RunningProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = self.box.workdir / "monitoring-grader"
        self.root.mkdir(mode=0o700)
        if self.box.uid is not None:
            self._lease = UidLease()
            self.box.add_user(self._lease.uid, "prometheus-job", self.root)

    @property
    def uid(self) -> int | None:
        """The tools' uid (None without privilege separation)."""
        return self._lease.uid if self._lease else None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def monitoring(self) -> Path:
        """The copy of the submission's ``monitoring/``."""
        return self.root / "monitoring"

    def copy_monitoring(self, source: Path) -> None:
        """Copy the YAML and JSON files of ``source`` (the submission's monitoring/), with limits."""
        total, count = 0, 0
        self.monitoring.mkdir(exist_ok=True)
        if not source.is_dir() or source.is_symlink():
            return
        for directory, dirs, files in os.walk(source, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                relative = (Path(directory) / name).relative_to(source)
                if not name.endswith(COPIED_SUFFIXES):
                    continue
                if count >= MAX_FILES or total > MAX_TOTAL_BYTES:
                    self.skipped.append(f"{relative}: more than {MAX_FILES} files or 8 MB")
                    continue
                try:
                    text = read_file(source, str(relative))
                except HostileInput as exc:
                    self.skipped.append(str(exc))
                    continue
                if text is None:
                    continue
                target = self.monitoring / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                total, count = total + len(text), count + 1
        self.hand_over()

    def hand_over(self) -> None:
        """Give every file of the workspace to the tools' uid (after the grader wrote some)."""
        if self.uid is None:
            return
        for directory, dirs, files in os.walk(self.root):
            os.lchown(directory, self.uid, self.uid)
            for name in dirs + files:
                os.lchown(os.path.join(directory, name), self.uid, self.uid)

    def run(self, argv: list[str], cwd: Path, timeout: float = 60) -> ProcessResult:
        """Run a tool (promtool) to completion under the sandbox, as the tools' uid."""
        return self.box.run(
            argv,
            cwd=cwd,
            env=self.box.env({"HOME": str(self.root), "TMPDIR": str(self.root)}),
            limits=self.box.limits.with_wall(timeout),
            reap=False,  # the job's service keeps running
            binds=[self.root],
            uid=self.uid,
        )

    # --- the prometheus.Launcher protocol -----------------------------------------------------
    def start(self, argv: list[str], workdir: Path) -> SandboxedServer:
        """Start the server under the sandbox, in the job's network namespace."""
        self.hand_over()
        process = self.box.start(
            argv,
            cwd=workdir,
            env=self.box.env({"HOME": str(self.root), "TMPDIR": str(self.root)}),
            binds=[self.root],
            uid=self.uid,
        )
        self._processes.append(process)
        return SandboxedServer(process)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` inside the job's network namespace."""
        return netns.call_in(self.box.netns, fn)

    def close(self) -> None:
        """Stop what the tools' uid runs, release the uid and remove the workspace."""
        for process in self._processes:
            process.stop()
        if self._lease is not None:
            for _ in range(20):
                pids = processes_of_uid(self._lease.uid)
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)
            self._lease.release()
            self._lease = None
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class SandboxedServer:
    """A server started by :meth:`Workspace.start` (the harness's ``ServerProcess``)."""

    process: RunningProcess

    def alive(self) -> bool:
        """Still running?"""
        return self.process.alive()

    def stop(self) -> None:
        """Stop it now."""
        self.process.stop()

    def output(self) -> str:
        """Its last lines of output."""
        return self.process.output.last_lines(30)
