"""The hostile-submission corpus: broken and malicious submissions graded end to end.

Each directory of ``fixtures/submissions/`` (except ``_base``) holds overlay files, copied on top of
``_base`` (a compliant, standard-library-only hw1 service), and ``expected.toml``: what the grader
must report (statuses, feedback substrings, point bounds) plus fixture-specific assertions. Every
fixture must also yield a schema-valid report with a reason for every lost point, no grader
error, no process left behind and no network namespace left behind.

The fixtures are graded concurrently (a few grading jobs at once, as a batch would) against a copy
of the suites whose time limits are shortened for speed. Before grading, the test writes
``fixture_runtime.json`` into each copy with what hostile fixtures need to know: a unique token,
the port of a listener on the host's loopback, directories a build backend would mark, report
directories to plant fakes in, and where the suites copy is (a well-informed attacker).

Keys of ``expected.toml`` (all optional but ``description``):

- ``copy_holdout``: copy the (public) hold-out rows into the submission under this name;
  ``record_hash``: ``[file, target]`` writes the file's sha256 into ``target``.
- ``remove``: base files the fixture deletes (e.g. ``uv.lock``); ``extends``: shared overlay directories
  (``_name``) copied before the fixture's own; ``load``: run the load stage.
- ``requires``: isolation features the expectations depend on (``filesystem``, ``network``,
  ``user``); without them the fixture is skipped (a failure under ``CI=true``).
- ``[status]``, ``[feedback]`` (substrings), ``[points_below]`` per check id; ``min_points``,
  ``max_points`` for the total; ``max_feedback_chars``; ``max_hidden_seconds`` (api stage) and
  ``max_stage_seconds`` (e.g. ``{ api = 5 }``: a failed start-up is not paid again); ``min_stage_points`` and
  ``max_stage_points`` (per stage, e.g. ``{ load = 13.5 }``); ``burn_calibration_factor``: the
  fixture burns this multiple of the calibration service's time per request (``burn_ms`` in
  ``fixture_runtime.json``). Every fixture is
  lint-clean, so both ruff checks must pass unless ``[status]`` says otherwise.
- ``marker_absent``: the build backend never ran. ``listener_untouched``: a listener on the host's
  loopback got no connection. ``watch``: observe the job's processes while it runs, with
  ``token_seen`` (the fixture's token appeared in a command line) and ``peak_job_processes``
  ``[min, max]``. ``reports_untouched``: planted report files changed nothing.
  ``search_control``: the fixture's search for the suites works where they are visible.
  ``walk_control``: the fixture's filesystem walk finds the course where it is visible.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from grader.grading.context import Options
from grader.grading.pipeline import grade_submission
from grader.paths import suites_dir
from grader.report.directory import MARKER
from grader.report.model import SCHEMA_PATH, Report
from grader.report.render import write_reports
from grader.rubric import load_rubric
from grader.sandbox import detect_isolation
from grader.sandbox import netns as netns_module
from grader.sandbox import runner as runner_module
from grader.sandbox.uids import UidLease
from grader.stages import junit as junit_stage

pytestmark = pytest.mark.slow

SUBMISSIONS = Path(__file__).resolve().parent / "fixtures" / "submissions"
BASE = SUBMISSIONS / "_base"
FIXTURES = sorted(
    p.name for p in SUBMISSIONS.iterdir() if p.is_dir() and not p.name.startswith("_")
)
REPEATED = ("compliant_stdlib", "constant_predictions")  # graded twice: identical non-load results
FIRST = ("slow_300ms", "compliant_stdlib", "hang_predict", "never_healthy", "fixed_port")  # slowest
WORKERS = 3
STARTUP_TIMEOUT_S = 10
REQUEST_TIMEOUT_S = 2
LOAD_SECONDS = 5  # the short stress-test profile: one window of five 1 s steps
MAX_FEEDBACK_CHARS = 10_000
DEFAULT_STATUS = {"static.ruff_lint": "passed", "static.ruff_format": "passed"}
MAX_JOB_SECONDS = 150
REPORT_FILES = {"report.json", "report.md", "junit.xml", "results.json"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
IGNORED = shutil.ignore_patterns(
    "__pycache__", ".venv", ".pytest_cache", ".ruff_cache", "expected.toml"
)


def load_expected(name: str) -> dict[str, Any]:
    """A fixture's ``expected.toml``."""
    return tomllib.loads((SUBMISSIONS / name / "expected.toml").read_text())


# --- observing processes and namespaces ----------------------------------------------------------


@dataclass
class JobTrace:
    """What one grading job allocated (recorded by spies on the sandbox), for cleanup checks."""

    uids: list[int] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)


_current = threading.local()


class TracingLease(UidLease):
    """``UidLease`` that also records the uid in the current thread's job trace."""

    def __init__(self) -> None:
        super().__init__()
        trace = getattr(_current, "trace", None)
        if trace is not None:
            trace.uids.append(self.uid)


def tracing_create(original: Any) -> Any:
    """Wrap ``netns.create`` to record namespace names in the current thread's job trace."""

    def create(name: str) -> None:
        trace = getattr(_current, "trace", None)
        if trace is not None:
            trace.namespaces.append(name)
        original(name)

    return create


@dataclass(frozen=True)
class Proc:
    """A live (non-zombie) process."""

    pid: int
    uid: int
    start_ticks: int
    cmdline: str


def processes() -> Iterator[Proc]:
    """Every live process on the machine (Linux ``/proc``)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            state = re.search(r"^State:\s+(\S)", status, re.M)
            uid = re.search(r"^Uid:\s+(\d+)", status, re.M)
            stat = (entry / "stat").read_text()
            cmdline = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
        except OSError:
            continue
        if state is None or uid is None or state.group(1) in "ZX":
            continue
        start = int(stat.rsplit(")", 1)[1].split()[19])
        yield Proc(int(entry.name), int(uid.group(1)), start, cmdline.strip())


def uptime_ticks() -> int:
    """Now, in the clock ticks of ``/proc/<pid>/stat``'s start time."""
    return int(float(Path("/proc/uptime").read_text().split()[0]) * CLK_TCK) + 1


def leftovers(uids: set[int], needles: list[str], before_ticks: int) -> list[str]:
    """Live processes of the job: its uids or a needle in the command line, started before it ended.

    Processes started later can only be another job's (a uid is reused once released).
    """
    return [
        f"pid {p.pid} uid {p.uid}: {p.cmdline[:200]}"
        for p in processes()
        if p.start_ticks <= before_ticks and (p.uid in uids or any(n in p.cmdline for n in needles))
    ]


def netns_names() -> set[str]:
    """Names of the machine's network namespaces (``ip netns list``)."""
    ip = shutil.which("ip") or "/usr/sbin/ip"
    try:
        out = subprocess.run(
            [ip, "netns", "list"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.split()[0] for line in out.splitlines() if line.strip()}


class Watcher(threading.Thread):
    """Samples the job's processes while it runs: peak count of its uids, and whether a token ran."""

    def __init__(self, trace: JobTrace, token: str) -> None:
        super().__init__(daemon=True, name="corpus-watcher")
        self.trace = trace
        self.token = token
        self.peak = 0
        self.token_seen = False
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.1):
            uids = set(self.trace.uids)
            count = 0
            for p in processes():
                count += p.uid in uids
                self.token_seen = self.token_seen or self.token in p.cmdline
            self.peak = max(self.peak, count)


class Listener:
    """A TCP listener on the host's loopback that counts connections (none must arrive)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True, name="corpus-listener")
        self.thread.start()

    def _accept(self) -> None:
        while not self.halt.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(200) or b"(connected)")
                except OSError:
                    self.hits.append(b"(connected)")

    def close(self) -> list[bytes]:
        self.halt.set()
        self.thread.join(5)
        self.sock.close()
        return self.hits


# --- building and grading one fixture ------------------------------------------------------------


@dataclass
class Graded:
    """A graded fixture and everything observed around the grading."""

    name: str
    expected: dict[str, Any]
    report: Report
    work: Path
    source: Path
    token: str
    marker_dir: Path
    report_dir: Path
    report_dir_after_grading: list[str]
    leftovers: list[str]
    namespaces_left: list[str]
    listener_hits: list[bytes] | None
    watcher: Watcher | None
    seconds: float


def build_submission(name: str, dest: Path, expected: dict[str, Any]) -> None:
    """``_base``, then the shared overlays the fixture ``extends``, then its own overlay files on top
    (and its ``remove`` list deleted)."""
    shutil.copytree(BASE, dest, ignore=IGNORED)
    for relative in expected.get("remove", []):
        (dest / relative).unlink()
    for layer in [*expected.get("extends", []), name]:
        shutil.copytree(SUBMISSIONS / layer, dest, ignore=IGNORED, dirs_exist_ok=True)
    if target := expected.get("copy_holdout"):  # the hold-out rows are public: a student has them
        shutil.copyfile(suites_dir() / "common" / "holdout.csv", dest / target)
    if record := expected.get("record_hash"):  # [file, where its sha256 goes]
        digest = hashlib.sha256((dest / record[0]).read_bytes()).hexdigest()
        (dest / record[1]).write_text(digest + "\n")


def calibration_cost_ms(suites: Path) -> float:
    """The calibration service's time per request at its capacity (ms), with the corpus schedule.

    Measured once per process (the grader then reuses the same measurement for every fixture), so
    fixtures can burn a multiple of the plain implementation's cost per request.
    """
    from grader.load.calibration import measure_calibration
    from grader.stages.load import schedule_from

    rubric = load_rubric("hw1", suites)
    customers = [row["customer"] for row in load_holdout_rows(suites)[:200]]
    measured = measure_calibration(
        detect_isolation(), schedule_from(rubric, LOAD_SECONDS), customers
    )
    assert measured.capacity > 0, measured.problem
    return 1000.0 / measured.capacity


def load_holdout_rows(suites: Path) -> list[dict[str, Any]]:
    from grader.checks.holdout import load_holdout

    return load_holdout(suites)


def grade_fixture(name: str, suites: Path, root: Path, *, load: bool | None = None) -> Graded:
    """Build the fixture, grade it (observing processes, namespaces and a host listener), return all."""
    expected = load_expected(name)
    work = root / f"{name}-{uuid.uuid4().hex[:6]}"
    source, marker_dir, report_dir = work / "submission", work / "markers", work / "reports"
    build_submission(name, source, expected)
    marker_dir.mkdir()
    report_dir.mkdir()
    token = f"mlops-fixture-{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    listener = Listener() if expected.get("listener_untouched") else None
    runtime = {
        "token": token,
        "listener_port": listener.port if listener else 0,
        "marker_dirs": [str(marker_dir), str(source)],
        "report_dirs": [str(report_dir), str(work)],
        "search_hints": [str(suites), str(suites.parent)],
    }
    if factor := expected.get("burn_calibration_factor"):
        runtime["burn_ms"] = factor * calibration_cost_ms(suites)
    (source / "fixture_runtime.json").write_text(json.dumps(runtime, indent=2) + "\n")
    trace = JobTrace()
    watcher = Watcher(trace, token) if expected.get("watch") else None
    run_load = expected.get("load", False) if load is None else load
    options = Options(
        mode="grade", load_seconds=LOAD_SECONDS, skip_load=not run_load, suites=suites
    )
    _current.trace = trace
    if watcher:
        watcher.start()
    started = time.monotonic()
    try:
        report = grade_submission("hw1", source, options=options, student_id=name)
    finally:
        seconds = time.monotonic() - started
        _current.trace = None
        if watcher:
            watcher.halt.set()
            watcher.join(5)
    ended = uptime_ticks()
    left: list[str] = []
    for _ in range(50):  # processes being killed may take a moment to disappear
        left = leftovers(set(trace.uids), [token, str(source)], ended)
        if not left:
            break
        time.sleep(0.1)
    present = netns_names()
    return Graded(
        name=name,
        expected=expected,
        report=report,
        work=work,
        source=source,
        token=token,
        marker_dir=marker_dir,
        report_dir=report_dir,
        report_dir_after_grading=sorted(os.listdir(report_dir)),
        leftovers=left,
        namespaces_left=[n for n in trace.namespaces if n in present],
        listener_hits=listener.close() if listener else None,
        watcher=watcher,
        seconds=seconds,
    )


def make_fast_suites(dest: Path) -> Path:
    """A copy of the suites with short start-up and request timeouts (rubric and public tests)."""
    suites = dest / "suites"
    shutil.copytree(suites_dir(), suites, ignore=shutil.ignore_patterns("__pycache__"))
    rubric = suites / "hw1" / "rubric.toml"
    assert "stages" not in tomllib.loads(rubric.read_text()), "hw1 now overrides stage settings"
    with rubric.open("a") as handle:  # a rubric's per-homework overrides of the policy's settings
        handle.write(
            f"\n[stages.api]\nstartup_timeout_s = {STARTUP_TIMEOUT_S}\n"
            f"request_timeout_s = {REQUEST_TIMEOUT_S}\nwrong_port_grace_s = 2\n"
            f"\n[stages.load]\nrequest_timeout_s = {REQUEST_TIMEOUT_S}\n"
            "\n[stages.tests]\nmutation_budget_s = 40\nmutation_run_timeout_s = 15\n"
        )
    text = rubric.read_text()
    for key, value in (("mutants", 5), ("null_mutants", 1)):  # a smaller sample of planted bugs
        text, count = re.subn(rf"(?m)^{key} = \d+", f"{key} = {value}", text)
        assert count == 1, key
    rubric.write_text(text)
    public = suites / "hw1" / "public" / "test_public_api.py"
    if public.is_file():  # the public tests wait for the service with their own constants
        text = public.read_text()
        for key, value in (
            ("STARTUP_TIMEOUT_S", STARTUP_TIMEOUT_S),
            ("REQUEST_TIMEOUT_S", REQUEST_TIMEOUT_S),
        ):
            text = re.sub(rf"(?m)^{key}(: float)? = [0-9.]+", f"{key} = {float(value)}", text)
        public.write_text(text)
    settings = load_rubric("hw1", suites).settings("api")
    assert settings["startup_timeout_s"] == STARTUP_TIMEOUT_S
    assert settings["request_timeout_s"] == REQUEST_TIMEOUT_S
    return suites


FEATURES = {  # expected.toml `requires` -> (Isolation attribute, what provides it)
    "filesystem": ("bwrap", "bubblewrap filesystem masking"),
    "network": ("netns", "network namespaces (root + iproute2)"),
    "user": ("drop_user", "a per-job unprivileged uid (root + setpriv)"),
}


def missing_isolation(expected: dict[str, Any]) -> list[str]:
    """What provides the isolation features the fixture needs and this machine lacks."""
    isolation = detect_isolation()
    return [
        FEATURES[f][1]
        for f in expected.get("requires", [])
        if not getattr(isolation, FEATURES[f][0])
    ]


def require(condition: bool, what: str) -> None:
    """Skip naming ``what`` (a failure under ``CI=true``, where everything must be available)."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"needs {what} (CI=true)")
    pytest.skip(f"needs {what}")


class Corpus:
    """Grades the selected fixtures concurrently; ``result(name)`` waits for one."""

    def __init__(self, suites: Path, root: Path, wanted: list[str], repeated: list[str]) -> None:
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="corpus")
        self.jobs: dict[str, Future[Graded]] = {}
        gradable = [n for n in wanted if not missing_isolation(load_expected(n))]
        for name in sorted(
            gradable, key=lambda n: (n not in FIRST, FIRST.index(n) if n in FIRST else 0)
        ):
            self.jobs[name] = self.pool.submit(grade_fixture, name, suites, root)
        for name in repeated:
            self.jobs[f"{name}#again"] = self.pool.submit(
                grade_fixture, name, suites, root, load=False
            )

    def result(self, key: str) -> Graded:
        name = key.split("#")[0]
        missing = missing_isolation(load_expected(name))
        require(not missing, ", ".join(missing))
        return self.jobs[key].result(timeout=600)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="module")
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Corpus]:
    """The corpus, graded once for the whole module (only the fixtures selected in this session)."""
    wanted: set[str] = set()
    repeated: set[str] = set()
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if getattr(item, "module", None) is request.module and "name" in params:
            (
                repeated
                if item.originalname == "test_regrading_gives_identical_results"
                else wanted
            ).add(params["name"])
    suites = make_fast_suites(tmp_path_factory.mktemp("suites"))
    root = tmp_path_factory.mktemp("corpus")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner_module, "UidLease", TracingLease)
        patch.setattr(netns_module, "create", tracing_create(netns_module.create))
        corpus = Corpus(suites, root, sorted(wanted | repeated), sorted(repeated))
        try:
            yield corpus
        finally:
            corpus.close()


# --- the assertions ------------------------------------------------------------------------------


def check_report_shape(graded: Graded) -> None:
    """Every rubric check reported, none errored, points within bounds, a reason for every lost point."""
    report = graded.report
    by_id = {c.id: c for c in report.checks}
    rubric = load_rubric("hw1")
    assert set(by_id) == {c.id for c in rubric.checks}, "the report must list every rubric check"
    limit = int(graded.expected.get("max_feedback_chars", MAX_FEEDBACK_CHARS))
    for check in report.checks:
        where = f"{graded.name}: {check.id} ({check.status})"
        assert check.status != "error", f"{where}: grader error:\n{check.feedback}"
        assert 0 <= check.points <= check.max_points, where
        if check.status == "passed":
            assert check.points == check.max_points, where
        else:
            assert check.points < check.max_points or check.max_points == 0, where
            assert check.feedback.strip(), f"{where}: no reason given for the lost points"
        if check.status == "skipped":
            assert check.points == 0, where
        assert len(check.feedback) <= limit, (
            f"{where}: feedback is {len(check.feedback)} characters"
        )
    doc = report.to_dict()
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(doc)
    assert doc["total"]["points"] == pytest.approx(sum(c.points for c in report.checks))
    assert report.duration_s < MAX_JOB_SECONDS


def check_expectations(graded: Graded) -> None:
    """The statuses, feedback and point bounds of ``expected.toml``."""
    by_id = {c.id: c for c in graded.report.checks}
    expected = graded.expected
    # Every fixture is lint-clean, so the points it loses come from its behaviour alone.
    statuses = {**DEFAULT_STATUS, **expected.get("status", {})}
    for check_id, status in statuses.items():
        check = by_id[check_id]
        assert check.status == status, (
            f"{graded.name}: {check_id} is {check.status}, expected {status}:\n{check.feedback[:2000]}"
        )
    for check_id, needles in expected.get("feedback", {}).items():
        for needle in needles:
            assert needle in by_id[check_id].feedback, (
                f"{graded.name}: {check_id} feedback lacks {needle!r}:\n{by_id[check_id].feedback[:2000]}"
            )
    for check_id, bound in expected.get("points_below", {}).items():
        assert by_id[check_id].points < bound, (
            f"{graded.name}: {check_id} got {by_id[check_id].points}"
        )
    total = graded.report.points
    if "max_points" in expected:
        assert total <= expected["max_points"], (
            f"{graded.name}: {total} points > {expected['max_points']}"
        )
    if "min_points" in expected:
        assert total >= expected["min_points"], (
            f"{graded.name}: {total} points < {expected['min_points']}"
        )
    for stage, bound in expected.get("min_stage_points", {}).items():
        earned = sum(c.points for c in graded.report.checks if c.stage == stage)
        assert earned >= bound, (
            f"{graded.name}: {stage} earned {earned} < {bound}\n{stage_feedback(graded, stage)}"
        )
    for stage, bound in expected.get("max_stage_points", {}).items():
        earned = sum(c.points for c in graded.report.checks if c.stage == stage)
        assert earned <= bound, (
            f"{graded.name}: {stage} earned {earned} > {bound}\n{stage_feedback(graded, stage)}"
        )
    for stage, bound in expected.get("max_stage_seconds", {}).items():
        spent = graded.report.stage_seconds.get(stage, 0.0)
        assert spent <= bound, f"{graded.name}: stage {stage} took {spent:.1f} s > {bound} s"
    if "max_hidden_seconds" in expected:
        hidden = sum(c.duration_s for c in graded.report.checks if c.stage == "api")
        assert hidden <= expected["max_hidden_seconds"], (
            f"{graded.name}: hidden checks took {hidden:.1f} s"
        )


def stage_feedback(graded: Graded, stage: str) -> str:
    """The feedback of one stage's checks, for an assertion message."""
    return "\n".join(f"{c.id}: {c.feedback}" for c in graded.report.checks if c.stage == stage)


def check_rendered_reports(graded: Graded) -> None:
    """``write_reports`` writes every rendering, each consistent with the report."""
    out = graded.work / "rendered"
    paths = write_reports(graded.report, out)
    assert {p.name for p in paths.values()} - {"load.png"} == REPORT_FILES
    assert {p.name for p in out.iterdir()} - {"load.png"} == REPORT_FILES | {MARKER}
    assert (out / "load.png").is_file() == (graded.report.load is not None)
    assert json.loads(paths["json"].read_text()) == graded.report.to_dict()
    suite = ET.parse(paths["junit"]).getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests", "0")) == len(graded.report.checks)
    gradescope = json.loads(paths["gradescope"].read_text())
    assert gradescope["score"] == pytest.approx(graded.report.points)
    assert (
        f"{graded.report.points:g} / {graded.report.max_points:g}" in paths["markdown"].read_text()
    )


def check_cleanup(graded: Graded) -> None:
    """No process and no network namespace of the job outlives it."""
    assert not graded.leftovers, f"{graded.name}: processes left behind:\n" + "\n".join(
        graded.leftovers
    )
    assert not graded.namespaces_left, (
        f"{graded.name}: network namespaces left: {graded.namespaces_left}"
    )


def check_extras(graded: Graded) -> None:
    """The fixture-specific assertions of ``expected.toml``."""
    expected = graded.expected
    if expected.get("marker_absent"):
        markers = list(graded.marker_dir.iterdir()) + list(graded.source.glob("BUILD_BACKEND_RAN"))
        assert not markers, f"the submission's build backend ran: {markers}"
    if expected.get("token_seen"):
        assert graded.watcher is not None and graded.watcher.token_seen, "the daemon never ran"
    if "peak_job_processes" in expected:
        low, high = expected["peak_job_processes"]
        peak = graded.watcher.peak if graded.watcher else -1
        assert low <= peak <= high, (
            f"peak process count of the job's uid: {peak}, expected {low}..{high}"
        )
    if expected.get("reports_untouched"):
        check_reports_untouched(graded)
    if expected.get("search_control"):
        check_search_control(graded)
    if expected.get("walk_control"):
        check_walk_control(graded)
    if expected.get("listener_untouched"):
        assert graded.listener_hits is not None
        network = str(graded.report.isolation.get("network", ""))
        require("netns" in network, "network namespaces (root + iproute2)")
        assert not graded.listener_hits, (
            f"the service reached the host's loopback: {graded.listener_hits}"
        )


def check_reports_untouched(graded: Graded) -> None:
    """Planted report files reached none of the grader's report locations, nor changed the grade."""
    assert graded.report_dir_after_grading == [], (
        f"files appeared in the (masked) report directory: {graded.report_dir_after_grading}"
    )
    for path in [
        *graded.work.glob("*.json"),
        *graded.work.glob("*.xml"),
        *graded.work.glob("*.md"),
    ]:
        assert graded.token not in path.read_text(errors="replace"), (
            f"planted file outside the sandbox: {path}"
        )
    for name in ("report.json", "results.json", "junit.xml", "report.md"):
        planted = Path("/tmp") / name
        if planted.is_file():
            assert graded.token not in planted.read_text(errors="replace"), (
                f"planted file: {planted}"
            )
    assert graded.report.points < 100
    assert graded.token not in json.dumps(graded.report.to_dict())


def check_search_control(graded: Graded) -> None:
    """Positive control: outside the sandbox, the fixture's search does find the hold-out labels."""
    result = subprocess.run(
        [sys.executable, "behaviour.py"],
        cwd=graded.source,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["labels"] > 0 and any(p.endswith("holdout.csv") for p in found["found"]), found


def check_walk_control(graded: Graded) -> None:
    """Positive control: outside the sandbox, the fixture's walk finds the course and other jobs."""
    result = subprocess.run(
        [sys.executable, "behaviour.py"],
        cwd=graded.source,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])["found"]
    assert any(p.endswith(("holdout.csv", "rubric.toml")) for p in found), found[:10]


# --- the tests -----------------------------------------------------------------------------------


def test_corpus_lists_every_behaviour_of_the_issue() -> None:
    """One fixture per behaviour of the issue, each with a description."""
    required = {
        "compliant_stdlib", "install_missing_package", "build_backend_hook", "crash_at_start",
        "never_healthy", "fixed_port", "hang_predict", "errors_500_on_bad_input",
        "constant_predictions", "slow_300ms", "tampered_public_tests", "fake_reports", "reads_suites",
        "fork_bomb", "stdout_flood", "host_listener", "leaves_daemon",
        # grader v2, part 1
        "walks_filesystem", "lint_hidden_by_ignore_file", "malformed_response", "crash_under_load",
        # grader v2, part 2
        "memorised_holdout", "plain_cost", "cpu_heavy_3x", "asserts_nothing", "forced_green",
        "detects_mutation",
    }  # fmt: skip
    assert required <= set(FIXTURES)
    for name in FIXTURES:
        expected = load_expected(name)
        assert expected.get("description"), name
        assert set(expected.get("requires", [])) <= set(FEATURES), name


@pytest.mark.parametrize(
    ("returncode", "passed", "failed", "kept"),
    [
        (0, 11, 0, True),
        (1, 3, 8, True),
        (5, 0, 0, True),
        (1, 11, 0, False),  # pytest saw failures, the results claim none
        (-9, 1000, 1, False),  # pytest was killed; the results came from someone else
        (2, 10, 1, False),  # interrupted
        (None, 11, 0, False),  # timed out
    ],
)
def test_only_pytests_own_exit_codes_validate_junit_results(
    returncode: int | None, passed: int, failed: int, kept: bool
) -> None:
    """JUnit counts stand only next to exit code 0, 1 (with a failure) or 5."""
    counts = junit_stage.reconcile(
        junit_stage.TestCounts(passed + failed, passed, failed), returncode
    )
    assert (counts.passed == passed) is kept
    if not kept:
        assert counts.passed == 0 and counts.failed >= 1


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_is_graded_as_expected(name: str, corpus: Corpus) -> None:
    """Grade the fixture; check the report, the expectations, the renderings, cleanup and extras."""
    graded = corpus.result(name)
    check_report_shape(graded)
    check_expectations(graded)
    check_rendered_reports(graded)
    check_cleanup(graded)
    check_extras(graded)


@pytest.mark.parametrize("name", REPEATED)
def test_regrading_gives_identical_results(name: str, corpus: Corpus) -> None:
    """Re-grading the same submission gives the same status, points and feedback (load aside)."""
    first, again = corpus.result(name), corpus.result(f"{name}#again")

    def summary(report: Report) -> list[tuple[str, str, float, str]]:
        return [(c.id, c.status, c.points, c.feedback) for c in report.checks if c.stage != "load"]

    assert summary(first.report) == summary(again.report)
    check_cleanup(again)
