"""The sandbox of one grading job: where its files live, how its processes start, and cleanup."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import netns
from grader.sandbox.capabilities import Isolation
from grader.sandbox.limits import Limits
from grader.sandbox.output import CappedOutput, tail_lines
from grader.sandbox.policy import load_sandbox_policy
from grader.sandbox.uids import UidLease, processes_of_uid


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
    """Filesystem view, identity, network namespace and process control of one job.

    Layout under ``workdir`` (owned by the grader): ``src/`` the submission copy (writable by the
    job), ``venv/`` its environment (read-only to the job), ``public/`` the pristine public tests,
    ``results/`` where pytest writes JUnit XML, ``home/`` and ``tmp/`` private to the job,
    ``tools/`` grader-owned helpers (read-only to the job).

    With bubblewrap the job's filesystem is an allow-list (``grader/policy/sandbox.toml``): the
    policy's system paths and ``read_only`` (package cache, interpreter) read-only, these job
    directories, a private ``/tmp``, ``/proc`` of its own pid namespace and a minimal ``/dev``.
    """

    def __init__(self, workdir: Path, isolation: Isolation, read_only: Sequence[Path] = ()) -> None:
        self.workdir = workdir
        self.isolation = isolation
        self.policy = load_sandbox_policy()
        self.read_only = [p.resolve() for p in read_only if p.exists()]
        self.src = workdir / "src"
        self.venv = workdir / "venv"
        self.public = workdir / "public"
        self.results = workdir / "results"
        self.home = workdir / "home"
        self.tmp = workdir / "tmp"
        self.tools = workdir / "tools"  # grader-owned helpers the job may run, read-only
        self._lease = UidLease() if isolation.drop_user else None
        self.uid = self._lease.uid if self._lease else None
        self.netns: str | None = None
        if isolation.netns:
            netns.reap_stale()  # namespaces of graders that were killed mid-job
            self.netns = f"grader-{uuid.uuid4().hex[:10]}"
            netns.create(self.netns)
        self._running: list[RunningProcess] = []
        # Every process is forked from this one long-lived thread: bubblewrap's --die-with-parent
        # (PR_SET_PDEATHSIG) fires when the *thread* that forked it exits, so a service started
        # from a short-lived thread (a check inside the job's network namespace) would be killed
        # the moment that thread ended.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-spawn")

    @property
    def limits(self) -> Limits:
        """The policy's rlimits (stages set their own wall-clock timeout with ``with_wall``)."""
        return self.policy.limits

    def prepare_dirs(self) -> None:
        """Create the job-writable directories and hand them to the job's uid."""
        os.chmod(self.workdir, 0o711)
        for d in (self.src, self.results, self.home, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        if self.uid is not None:
            self.add_user(self.uid, "job", self.home)
            for d in (self.src, self.results, self.home, self.tmp):
                for root, dirs, files in os.walk(d):
                    os.lchown(root, self.uid, self.uid)
                    for name in dirs + files:
                        os.lchown(os.path.join(root, name), self.uid, self.uid)

    @property
    def passwd(self) -> Path:
        """The job's ``/etc/passwd``: the host's plus the job's uids (tools look their user up)."""
        return self.workdir / "passwd"

    def add_user(self, uid: int, name: str, home: Path) -> None:
        """Give ``uid`` a name in the job's ``/etc/passwd`` (initdb and libpq refuse nameless uids)."""
        if not self.passwd.exists():
            host = Path("/etc/passwd")
            self.passwd.write_text(host.read_text() if host.exists() else "")
            self.passwd.chmod(0o644)
        with self.passwd.open("a") as handle:
            handle.write(f"{name}:x:{uid}:{uid}:grading job:{home}:/usr/sbin/nologin\n")

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The job's environment, built from the policy: nothing else of the grader's leaks in."""
        env = {
            "PATH": f"{self.venv / 'bin'}:{self.policy.system_path}",
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "VIRTUAL_ENV": str(self.venv),
            "PYTHONPATH": str(self.src),
            # The environment is read-only to the job: bytecode goes to one job-private tree,
            # so only the first process of the job compiles what it imports.
            "PYTHONPYCACHEPREFIX": str(self.home / ".pycache"),
            **self.policy.env_set,
        }
        for key in self.policy.env_pass_through:
            if key in os.environ:
                env[key] = os.environ[key]
        env.update(extra or {})
        return env

    def filesystem_args(
        self, binds: Sequence[Path] = (), ro_binds: Sequence[Path] = ()
    ) -> list[str]:
        """bubblewrap arguments that build the job's allow-listed view of the filesystem.

        Parents of every mount point are created explicitly with mode 0755 (bubblewrap would make
        them 0700 and root-owned, so the job's uid could not traverse them). ``binds`` (read-write)
        and ``ro_binds`` are extra directories for one process only: the job's database server
        sees its data directory, the submission's processes never do.
        """
        mounts: list[tuple[str, str, str]] = []  # (option, source, destination)
        seen: set[str] = set()
        for raw in (*self.policy.system_read_only, *map(str, self.read_only)):
            path = Path(raw)
            if raw in seen or any(Path(raw).is_relative_to(other) for other in seen):
                continue
            seen.add(raw)
            if raw == "/etc/passwd" and self.passwd.exists():
                mounts.append(("--ro-bind", str(self.passwd), raw))
            elif path.is_symlink():
                mounts.append(("--symlink", os.readlink(path), raw))
            elif path.exists():
                mounts.append(("--ro-bind", raw, raw))
        for d in (self.src, self.results, self.home, self.tmp):
            mounts.append(("--bind", str(d), str(d)))
        for d in (self.venv, self.public, self.tools, *ro_binds):
            if d.exists():
                mounts.append(("--ro-bind", str(d), str(d)))
        mounts += [("--bind", str(d), str(d)) for d in binds]
        args = ["--dev", "/dev", "--proc", "/proc", "--perms", "01777", "--tmpfs", "/tmp"]
        made = {"/", "/tmp", "/dev", "/proc"}
        for _, _, destination in mounts:
            for parent in reversed(Path(destination).parents):
                if str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0755", "--dir", str(parent)]
        for option, source, destination in mounts:
            args += [option, source, destination]
        return args

    def _wrap(
        self,
        argv: Sequence[str],
        cwd: Path,
        binds: Sequence[Path] = (),
        ro_binds: Sequence[Path] = (),
        uid: int | None = None,
    ) -> list[str]:
        cmd: list[str] = []
        uid = self.uid if uid is None else uid
        if self.netns:
            cmd += netns.exec_prefix(self.netns)
        if self.isolation.bwrap:
            cmd += [self.isolation.bwrap, *self.filesystem_args(binds, ro_binds)]
            cmd += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
            cmd += ["--new-session", "--chdir", str(cwd), "--"]
        if uid is not None:
            cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
        return cmd + list(argv)

    def _popen(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: dict[str, str],
        limits: Limits,
        pass_fds: Sequence[int] = (),
        binds: Sequence[Path] = (),
        ro_binds: Sequence[Path] = (),
        uid: int | None = None,
    ) -> subprocess.Popen[bytes]:
        limit_processes = self.uid is not None
        return self._spawner.submit(
            subprocess.Popen,
            self._wrap(argv, cwd, binds, ro_binds, uid),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            preexec_fn=lambda: limits.apply(limit_processes=limit_processes),
        ).result()

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        limits: Limits | None = None,
        pass_fds: Sequence[int] = (),
        reap: bool = True,
        binds: Sequence[Path] = (),
        ro_binds: Sequence[Path] = (),
        uid: int | None = None,
    ) -> ProcessResult:
        """Run a command to completion under the sandbox; never raises for the command's behaviour.

        ``pass_fds`` are inherited by the command (e.g. the write end of a pipe the grader reads).
        ``reap=False`` leaves the job's other processes alone (commands running side by side); the
        caller then calls :meth:`kill_leftovers` when they are all done. ``binds``/``ro_binds``:
        see :meth:`filesystem_args`; ``uid`` replaces the job's uid (the job's database server
        runs as a uid of its own, out of reach of the submission's processes).
        """
        start = time.monotonic()
        limits = limits or self.limits
        try:
            popen = self._popen(
                argv, cwd or self.src, env or self.env(), limits, pass_fds, binds, ro_binds, uid
            )
        except OSError as exc:
            return ProcessResult(None, False, f"could not start {argv[0]}: {exc}", 0, False, 0.0)
        output = CappedOutput(popen.stdout, limits.output_bytes)  # type: ignore[arg-type]
        timed_out = False
        try:
            popen.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_group(popen)  # also ends anything it left in its group
        if reap:
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
        limits: Limits | None = None,
        binds: Sequence[Path] = (),
        ro_binds: Sequence[Path] = (),
        uid: int | None = None,
    ) -> RunningProcess:
        """Start a long-running command (the service); stop it with ``stop_all``."""
        limits = limits or self.limits
        popen = self._popen(
            argv,
            cwd or self.src,
            env or self.env(),
            limits,
            binds=binds,
            ro_binds=ro_binds,
            uid=uid,
        )
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
        self._spawner.shutdown(wait=False)
        if self.netns:
            netns.delete(self.netns)
            self.netns = None
        if self._lease:
            self._lease.release()
            self._lease = None
