"""The per-job PostgreSQL (grader/database) and the rubric's capped groups.

One real server, started once for the module in a real sandbox: what the service's role may and
may not reach, that the submission's processes cannot see the server's files, and that a stop and
a start (the fault injection) keep the data.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.database import JobDatabase, wants_database
from grader.database.server import ServerConfig
from grader.errors import UsageError
from grader.paths import suites_dir
from grader.rubric import load_rubric, render_rubric_markdown
from grader.sandbox import Sandbox, detect_isolation
from grader.sandbox.policy import load_sandbox_policy


@pytest.fixture(scope="module")
def job() -> Iterator[tuple[Sandbox, JobDatabase]]:
    isolation = detect_isolation()
    if not (isolation.netns and isolation.drop_user and isolation.bwrap):
        pytest.skip("needs full isolation (root, bubblewrap, network namespaces)")
    workdir = Path(tempfile.mkdtemp(prefix="grader-job-"))
    box = Sandbox(workdir, isolation)
    box.prepare_dirs()
    database = JobDatabase.create(box, ServerConfig.from_policy(load_sandbox_policy().database))
    try:
        yield box, database
    finally:
        database.close()
        box.close()
        shutil.rmtree(workdir, ignore_errors=True)


def role_connects(box: Sandbox, database: JobDatabase, dsn_suffix: str) -> bool:
    """Can a process of the job (its uid, its namespace) connect with the service's role?"""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database.url)

    def attempt() -> bool:
        try:
            with psycopg.connect(
                host=url.host,
                port=url.port,
                user=url.username,
                password=url.password,
                connect_timeout=3,
                **dict(part.split("=") for part in dsn_suffix.split()),  # type: ignore[arg-type]
            ):
                return True
        except psycopg.OperationalError:
            return False

    return database.call(attempt)


def test_the_service_role_reaches_its_own_database_only(job) -> None:
    box, database = job
    assert database.url.startswith("postgresql+psycopg://churn:")
    assert "@127.0.0.1:" in database.url
    assert role_connects(box, database, "dbname=churn")
    assert not role_connects(box, database, "dbname=postgres")
    assert not role_connects(box, database, "dbname=template1")
    assert database.query("SELECT count(*) FROM grader.sentinel") == [(1,)]


def test_the_server_is_unreachable_outside_the_job_namespace(job) -> None:
    import psycopg

    box, database = job
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(database.admin_dsn.replace("connect_timeout=3", "connect_timeout=1"))


def test_job_processes_cannot_see_the_server_files(job) -> None:
    box, database = job
    data = box.workdir / "database"
    assert data.is_dir()
    result = box.run(["/bin/ls", str(data)], reap=False)
    assert not result.ok and "No such file" in result.output


def test_a_stop_and_a_start_keep_the_data(job) -> None:
    box, database = job
    database.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
    database.stop()
    assert not database.running()
    with pytest.raises(Exception):  # noqa: B017 - any connection error: the server is down
        database.query("SELECT 1")
    database.start()
    assert database.query("SELECT n FROM kept") == [(7,)]


def test_only_a_contract_with_a_database_wants_one() -> None:
    from grader.contracts import load_contract

    assert wants_database(load_contract("hw2"))
    assert not wants_database(load_contract("hw1"))


def test_a_capped_group_scales_its_checks_and_is_rendered() -> None:
    rubric = load_rubric("hw2")
    group = rubric.groups["hw1_base"]
    members = [c for c in rubric.checks if c.group == "hw1_base"]
    assert group.cap == 15 and sum(c.points for c in members) == pytest.approx(15)
    assert all(c.points == pytest.approx(c.weight * group.scale) for c in members)
    table = render_rubric_markdown(rubric)
    assert "*(hw1_base)*" in table and "at most 15 points" in table


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("cap = 15", "cap = 0"), "cap must be positive"),
        (("cap = 15", 'cap = "x"'), "numeric cap"),
        (('group = "hw1_base"\n', 'group = "nope"\n'), "has no \\[groups.nope\\] table"),
    ],
)
def test_groups_are_validated(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    suites = tmp_path / "suites"
    shutil.copytree(suites_dir(None), suites)
    rubric = suites / "hw2" / "rubric.toml"
    text = rubric.read_text()
    assert change[0] in text
    rubric.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(UsageError, match=message):
        load_rubric("hw2", suites)


def test_hw2_public_tests_are_the_ones_students_get() -> None:
    """The grader runs its own pristine copy of the public tests: the starter's, byte for byte."""
    root = Path(__file__).resolve().parents[2]
    graded = suites_dir(None) / "hw2" / "public" / "test_public_api.py"
    for repo in ("starter", "solution"):
        given = root / "homework" / "hw2_db_k8s" / repo / "tests" / "public" / "test_public_api.py"
        assert graded.read_bytes() == given.read_bytes(), f"{repo}'s public tests differ"
