"""The sandbox: limits, output caps, timeouts, masking, private network and cleanup (real processes)."""

from __future__ import annotations

import dataclasses
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.paths import DEFAULT_SUITES_DIR, PACKAGE_DIR
from grader.sandbox import Limits, ProcessResult, Sandbox, detect_isolation
from grader.sandbox.policy import load_sandbox_policy
from grader.sandbox.uids import processes_of_uid
from grader.stages.interpreter import submission_python

pytestmark = pytest.mark.usefixtures("require_full_isolation")


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox(tmp_path / "job", detect_isolation())
    sandbox.workdir.mkdir()
    sandbox.prepare_dirs()
    try:
        yield sandbox
    finally:
        uid = sandbox.uid
        sandbox.close()
        assert uid is None or processes_of_uid(uid) == []


POLICY = load_sandbox_policy()
QUICK = POLICY.limits.with_wall(30)


def python(box: Sandbox, code: str, limits: Limits = QUICK) -> ProcessResult:
    script = box.src / "probe.py"
    script.write_text(textwrap.dedent(code))
    return box.run([submission_python(True), str(script)], limits=limits)


def test_runs_as_an_unprivileged_uid_in_the_copy(box: Sandbox) -> None:
    result = python(box, "import os; print(os.getuid(), os.getcwd())")
    assert result.ok, result.output
    uid, cwd = result.output.split()
    assert int(uid) == box.uid and int(uid) != 0
    assert cwd == str(box.src)


def test_grader_files_and_suites_do_not_exist_for_the_job(box: Sandbox) -> None:
    holdout = DEFAULT_SUITES_DIR / "common" / "holdout.csv"
    assert holdout.exists()
    result = python(
        box,
        f"""
        import os
        print(os.path.exists({str(holdout)!r}), os.path.exists({str(PACKAGE_DIR)!r}))
    """,
    )
    assert result.ok, result.output
    assert result.output.strip() == "False False"


def test_the_filesystem_is_the_policys_allow_list(box: Sandbox, tmp_path: Path) -> None:
    """Top-level entries are the policy's system paths and the job's own; nothing else exists."""
    other_job = tmp_path / "other-job"
    other_job.mkdir()
    result = python(
        box,
        f"""
        import os
        print(sorted(os.listdir("/")))
        print(sorted(os.listdir("/tmp")))
        print(os.path.exists({str(other_job)!r}), os.path.exists("/root"), os.path.exists("/home"))
    """,
    )
    assert result.ok, result.output
    top, tmp, exists = result.output.strip().splitlines()
    allowed = {Path(p).parts[1] for p in POLICY.system_read_only} | {"dev", "proc", "tmp"}
    allowed |= {Path(p).parts[1] for p in box.read_only}
    assert set(eval(top)) <= allowed, top
    assert eval(tmp) == [box.workdir.relative_to("/tmp").parts[0]], tmp
    assert exists == "False False False"


def test_each_job_of_a_run_gets_a_uid_no_other_job_used(tmp_path: Path) -> None:
    seen = []
    for i in range(5):
        sandbox = Sandbox(tmp_path / f"job{i}", detect_isolation())
        seen.append(sandbox.uid)
        sandbox.close()
    assert len(set(seen)) == len(seen)


def test_network_is_a_private_loopback(box: Sandbox) -> None:
    accepted: list[object] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        port = server.getsockname()[1]
        stop = time.monotonic() + 8

        def accept() -> None:
            while time.monotonic() < stop:
                try:
                    accepted.append(server.accept())
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept)
        thread.start()
        result = python(
            box,
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2)
                print("CONNECTED")
            except OSError as exc:
                print("refused", type(exc).__name__)
        """,
        )
        stop = time.monotonic()
        thread.join()
    assert "refused" in result.output and "CONNECTED" not in result.output
    assert accepted == []


def test_wall_clock_timeout_kills_the_whole_group(box: Sandbox) -> None:
    started = time.monotonic()
    result = python(
        box,
        """
        import subprocess, time
        subprocess.Popen(["sleep", "300"])
        time.sleep(300)
    """,
        POLICY.limits.with_wall(1.5),
    )
    assert result.timed_out and result.returncode is None
    assert time.monotonic() - started < 15
    assert processes_of_uid(box.uid) == []


def test_output_is_capped(box: Sandbox) -> None:
    result = python(
        box,
        "import sys\nfor _ in range(200): sys.stdout.write('x' * 50000 + '\\n')",
        dataclasses.replace(POLICY.limits, wall_seconds=30, output_bytes=10_000),
    )
    assert result.ok
    assert result.output_bytes > 9_000_000 and result.output_truncated
    assert len(result.output) < 12_000 and "bytes of output dropped" in result.output


def test_process_count_is_limited_and_daemons_are_reaped(box: Sandbox) -> None:
    result = python(
        box,
        """
        import os, time
        made = 0
        for _ in range(2000):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            made += 1
        print("forked", made)
        # a daemon that escapes the process group
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(300)
            os._exit(0)
        time.sleep(0.2)
    """,
        dataclasses.replace(POLICY.limits, wall_seconds=30, processes=64),
    )
    made = int(result.output.split("forked")[1].split()[0])
    assert 0 < made < 64
    assert processes_of_uid(box.uid) == []
