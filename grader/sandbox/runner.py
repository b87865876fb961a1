"""The sandbox of one grading job: where its files live, how its processes start, and cleanup."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import netns
from grader.sandbox.capabilities import Isolation
from grader.sandbox.limits import DEFAULT_LIMITS, Limits
from grader.sandbox.output import CappedOutput, tail_lines
from grader.sandbox.uids import UidLease, processes_of_uid

BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass
class ProcessResult:
    """The outcome of a foreground sandboxed command."""

    returncode: int | None
    timed_out: bool
    output: str
    output_bytes: int
    output_truncated: bool
    duration_s: float

    @property
    def ok(self) -> bool:
        """Exited with 0 within the time limit."""
        return self.returncode == 0 and not self.timed_out

    def tail(self, n: int = 15) -> str:
        """The last lines of output (at most ``FEEDBACK_CHARS`` characters), for feedback."""
        return tail_lines(self.output, n)


class RunningProcess:
    """A background sandboxed process (the service under test)."""

    def __init__(self, popen: subprocess.Popen[bytes], output: CappedOutput) -> None:
        self.popen = popen
        self.output = output

    def alive(self) -> bool:
        """Still running?"""
        return self.popen.poll() is None

    def stop(self) -> None:
        """Terminate its process group (and, via the pid namespace, everything it started)."""
        _kill_group(self.popen)
        self.output.join(2)


def _kill_group(popen: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, sig)
        try:
            popen.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


class Sandbox:
    """Filesystem layout, identity, network namespace and process control of one job.

    Layout under ``workdir`` (owned by the grader): ``src/`` the submission copy (writable by the
    job), ``venv/`` its environment (read-only to the job), ``public/`` the pristine public tests,
    ``results/`` where pytest writes JUnit XML, ``home/`` and ``tmp/`` private to the job.
    """

    def __init__(self, workdir: Path, isolation: Isolation, masked: Sequence[Path] = ()) -> None:
        self.workdir = workdir
        self.isolation = isolation
        existing = [p.resolve() for p in masked if p.exists()]
        # A path inside another masked path is hidden already (and masking it again would leave a mount point).
        self.masked = [
            p for p in existing if not any(p != q and p.is_relative_to(q) for q in existing)
        ]
        self.src = workdir / "src"
        self.venv = workdir / "venv"
        self.public = workdir / "public"
        self.results = workdir / "results"
        self.home = workdir / "home"
        self.tmp = workdir / "tmp"
        self._lease = UidLease() if isolation.drop_user else None
        self.uid = self._lease.uid if self._lease else None
        self.netns: str | None = None
        if isolation.netns:
            netns.reap_stale()  # namespaces of graders that were killed mid-job
            self.netns = f"grader-{uuid.uuid4().hex[:10]}"
            netns.create(self.netns)
        self._running: list[RunningProcess] = []

    def prepare_dirs(self) -> None:
        """Create the job-writable directories and hand them to the job's uid."""
        os.chmod(self.workdir, 0o711)
        for d in (self.src, self.results, self.home, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        if self.uid is not None:
            for d in (self.src, self.results, self.home, self.tmp):
                for root, dirs, files in os.walk(d):
                    os.lchown(root, self.uid, self.uid)
                    for name in dirs + files:
                        os.lchown(os.path.join(root, name), self.uid, self.uid)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A clean environment: nothing of the grader's leaks in."""
        env = {
            "PATH": f"{self.venv / 'bin'}:{BASE_PATH}",
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "VIRTUAL_ENV": str(self.venv),
            "PYTHONPATH": str(self.src),
            "PYTHONUNBUFFERED": "1",
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NO_COLOR": "1",
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed on some CPUs for correctness
            if key in os.environ:
                env[key] = os.environ[key]
        env.update(extra or {})
        return env

    def _wrap(self, argv: Sequence[str], cwd: Path) -> list[str]:
        cmd: list[str] = []
        if self.netns:
            cmd += netns.exec_prefix(self.netns)
        if self.isolation.bwrap:
            cmd += [self.isolation.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
            cmd += ["--perms", "01777", "--tmpfs", "/tmp"]
            for path in self.masked:
                cmd += (
                    ["--tmpfs", str(path)]
                    if path.is_dir()
                    else ["--ro-bind", "/dev/null", str(path)]
                )
            cmd += ["--tmpfs", str(self.workdir)]
            for d in (self.src, self.results, self.home, self.tmp):
                cmd += ["--bind", str(d), str(d)]
            for d in (self.venv, self.public):
                if d.exists():
                    cmd += ["--ro-bind", str(d), str(d)]
            cmd += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
            cmd += ["--new-session", "--chdir", str(cwd), "--"]
        if self.uid is not None:
            cmd += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--"]
        return cmd + list(argv)

    def _popen(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: dict[str, str],
        limits: Limits,
        pass_fds: Sequence[int] = (),
    ) -> subprocess.Popen[bytes]:
        limit_processes = self.uid is not None
        return subprocess.Popen(
            self._wrap(argv, cwd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            preexec_fn=lambda: limits.apply(limit_processes=limit_processes),
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        pass_fds: Sequence[int] = (),
    ) -> ProcessResult:
        """Run a command to completion under the sandbox; never raises for the command's behaviour.

        ``pass_fds`` are inherited by the command (e.g. the write end of a pipe the grader reads).
        """
        start = time.monotonic()
        try:
            popen = self._popen(argv, cwd or self.src, env or self.env(), limits, pass_fds)
        except OSError as exc:
            return ProcessResult(None, False, f"could not start {argv[0]}: {exc}", 0, False, 0.0)
        output = CappedOutput(popen.stdout, limits.output_bytes)  # type: ignore[arg-type]
        timed_out = False
        try:
            popen.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_group(popen)  # also ends anything it left in its group
        self.kill_leftovers()
        output.join(5)
        return ProcessResult(
            returncode=None if timed_out else popen.returncode,
            timed_out=timed_out,
            output=output.text(),
            output_bytes=output.total_bytes,
            output_truncated=output.truncated,
            duration_s=round(time.monotonic() - start, 3),
        )

    def start(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> RunningProcess:
        """Start a long-running command (the service); stop it with ``stop_all``."""
        popen = self._popen(argv, cwd or self.src, env or self.env(), limits)
        running = RunningProcess(popen, CappedOutput(popen.stdout, limits.output_bytes))  # type: ignore[arg-type]
        self._running.append(running)
        return running

    def stop_all(self) -> None:
        """Stop every background process and anything the job's uid still runs."""
        for running in self._running:
            running.stop()
        self._running.clear()
        self.kill_leftovers()

    def kill_leftovers(self) -> int:
        """Kill every process left by the job's uid (daemons that escaped their process group)."""
        if self.uid is None:
            return 0
        killed = 0
        for _ in range(20):
            pids = processes_of_uid(self.uid)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.05)
        return killed

    def close(self) -> None:
        """Stop everything and release the uid and network namespace."""
        self.stop_all()
        if self.netns:
            netns.delete(self.netns)
            self.netns = None
        if self._lease:
            self._lease.release()
            self._lease = None
