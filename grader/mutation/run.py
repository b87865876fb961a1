"""Run the student's own test suite against a sample of mutants, inside the job's sandbox.

Validity first: the suite must pass on the unmutated code (``tests.student`` found that out) and
must not fail on a null mutant; a suite that fails on one reacts to the text of the code rather than
its behaviour. Each mutant is written into the job's copy, the suite runs with ``-x`` (the first
failure is enough), and the original file is put back before the next one. Mutants not reached
within the time budget are left out and reported.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.mutation.mutants import MISCONCEPTIONS, Mutant
from grader.sandbox.runner import ProcessResult, Sandbox


@dataclass
class MutationResult:
    """Which mutants the suite killed, which survived, and what was not run."""

    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    nulls_failed: list[Mutant] = field(default_factory=list)
    nulls_passed: list[Mutant] = field(default_factory=list)
    # A null mutant whose run hit the time limit says nothing about the suite (a busy machine, a
    # slow suite): it is neither a pass nor a failure.
    nulls_timed_out: list[Mutant] = field(default_factory=list)
    not_run: int = 0
    seconds: float = 0.0

    @property
    def run(self) -> int:
        """Real (non-null) mutants run."""
        return len(self.killed) + len(self.survived)

    @property
    def kill_share(self) -> float:
        """Killed / run (0 when none ran)."""
        return len(self.killed) / self.run if self.run else 0.0

    def missed(self) -> dict[str, list[str]]:
        """Surviving mutants by misconception name."""
        by_name: dict[str, list[str]] = {}
        for mutant in self.survived:
            by_name.setdefault(MISCONCEPTIONS[mutant.operator], []).append(mutant.describe())
        return by_name


def _write_as(path: Path, text: str, uid: int | None) -> None:
    path.write_text(text, encoding="utf-8")
    if uid is not None:
        os.chown(path, uid, uid)


TRACE_PLUGIN = Path(__file__).with_name("trace_plugin.py")


@dataclass
class Trace:
    """What one traced run of the student's suite saw; ``problem`` says why it saw nothing."""

    tests_by_line: dict[str, set[str]] | None = None  # "relative/path.py:LINE" -> test node ids
    executed: set[str] | None = None  # every "relative/path.py:LINE" the run executed
    problem: str | None = None


def _relative_lines(lines: object, prefix: str) -> list[str]:
    """The well-formed entries of ``lines`` under ``prefix``, made relative to it."""
    if not isinstance(lines, list):
        return []
    return [x.removeprefix(prefix) for x in lines if isinstance(x, str) and x.startswith(prefix)]


def trace_tests(
    box: Sandbox, argv: list[str], app: tuple[str, ...], timeout_s: float, env: dict[str, str]
) -> tuple[Trace, ProcessResult]:
    """Which app lines the suite executes, in all and per test (``"relative/path.py:LINE"``), and
    the traced run itself (its exit code and output, for a caller that also wants the verdict).

    The student's suite runs once with the grader's trace plugin (copied into the job's tools
    directory, read-only to the job). The per-test map only narrows which tests a mutant needs;
    whatever it says, a mutant it does not mention still runs the whole suite.
    """
    box.tools.mkdir(exist_ok=True)
    shutil.copy(TRACE_PLUGIN, box.tools / "grader_trace.py")
    out, every = box.results / "trace.json", box.results / "trace-all.json"
    out.unlink(missing_ok=True)
    every.unlink(missing_ok=True)
    traced_env = {
        **env,
        "PYTHONPATH": f"{env.get('PYTHONPATH', '')}{os.pathsep}{box.tools}",
        "GRADER_TRACE_APP": os.pathsep.join(str(box.src / p) for p in app),
        "GRADER_TRACE_OUT": str(out),
        "GRADER_TRACE_ALL": str(every),
    }
    outcome = box.run(
        [*argv, "-p", "grader_trace"], env=traced_env, limits=box.limits.with_wall(timeout_s)
    )
    if outcome.timed_out:
        problem = f"your suite did not finish within {timeout_s:g} s under the tracer"
        return Trace(problem=problem), outcome
    # A test that fails only under the tracer (a timing bound, the tracer's slowdown) still ran
    # its lines: what was executed counts whatever the exit code, as under coverage.py.
    try:
        raw, executed = json.loads(out.read_text()), json.loads(every.read_text())
    except (OSError, ValueError):
        failed = f" (your suite exited {outcome.returncode})" if outcome.returncode else ""
        return Trace(problem=f"the tracer wrote no readable result{failed}"), outcome
    prefix = f"{box.src}/"
    by_line: dict[str, set[str]] = {}
    for nodeid, lines in raw.items() if isinstance(raw, dict) else []:
        for line in _relative_lines(lines, prefix):
            by_line.setdefault(line, set()).add(str(nodeid))
    return Trace(by_line, set(_relative_lines(executed, prefix))), outcome


def _workspace(box: Sandbox, index: int) -> Path:
    """A private copy of the job's files for one worker (inside the job's own tmp)."""
    target = box.tmp / f"planted-{index}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(box.src, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    if box.uid is not None:
        for root, dirs, files in os.walk(target):
            os.lchown(root, box.uid, box.uid)
            for name in dirs + files:
                os.lchown(os.path.join(root, name), box.uid, box.uid)
    return target


def run_mutants(
    box: Sandbox,
    argv: list[str],
    mutants: list[Mutant],
    per_run_s: float,
    budget_s: float,
    env: dict[str, str],
    coverage: dict[str, set[str]] | None = None,
    workers: int = 1,
) -> MutationResult:
    """Run ``argv`` (the student's pytest) once per mutant, ``workers`` at a time.

    Each worker has its own copy of the job's files; a mutant is written into it and the original
    put back after the run. With ``coverage``, a mutant runs only the tests that execute its line.
    Results are collected in the sample's order, so they do not depend on which worker was faster.
    """
    result = MutationResult()
    started = time.monotonic()
    deadline = started + budget_s
    spaces = [_workspace(box, i) for i in range(max(1, workers))]
    free: list[Path] = list(spaces)
    guard = threading.Lock()
    outcomes: dict[int, str | None] = {}  # index -> "failed" | "passed" | "timeout" (None: not run)

    def one(index: int) -> None:
        mutant = mutants[index]
        remaining = deadline - time.monotonic()
        if remaining < min(per_run_s, 5.0):
            outcomes[index] = None
            return
        with guard:
            space = free.pop()
        try:
            path = space / mutant.path
            try:
                original = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                outcomes[index] = None
                return
            if original[mutant.start : mutant.end] != mutant.original:
                outcomes[index] = None  # the file changed since the mutants were found
                return
            _write_as(path, mutant.apply(original), box.uid)
            selected = sorted((coverage or {}).get(f"{mutant.path}:{mutant.line}", ()))
            try:
                outcome = box.run(
                    [*argv, *selected],
                    cwd=space,
                    env={**env, "PYTHONPATH": str(space)},
                    limits=box.limits.with_wall(min(per_run_s, remaining)),
                    reap=False,
                )
            finally:
                _write_as(path, original, box.uid)
            if outcome.timed_out and remaining < per_run_s:
                outcomes[index] = (
                    None  # cut short by the budget, not by its own timeout: not judged
                )
            elif outcome.timed_out:
                outcomes[index] = "timeout"
            else:
                outcomes[index] = "failed" if outcome.returncode != 0 else "passed"
        finally:
            with guard:
                free.append(space)

    with ThreadPoolExecutor(max_workers=len(spaces)) as pool:
        list(pool.map(one, range(len(mutants))))
    box.kill_leftovers()
    for index, mutant in enumerate(mutants):
        outcome = outcomes.get(index)
        if outcome is None:
            result.not_run += 0 if mutant.null else 1
        elif mutant.null:
            {"failed": result.nulls_failed, "passed": result.nulls_passed}.get(
                outcome, result.nulls_timed_out
            ).append(mutant)
        else:  # a planted bug that makes the suite hang counts as caught, as in every mutation tool
            (result.survived if outcome == "passed" else result.killed).append(mutant)
    for space in spaces:
        shutil.rmtree(space, ignore_errors=True)
    result.seconds = round(time.monotonic() - started, 1)
    return result
