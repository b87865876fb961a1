"""Tests stage: the course's public tests (from the grader's pristine copy) and the student's own tests."""

from __future__ import annotations

import os
import shutil
import time

from grader.checks.coverage import measure, ranges
from grader.grading.context import GradeContext
from grader.grading.job_service import NOT_STARTED, ensure_service
from grader.model.perturb import seed_from
from grader.mutation.mutants import find_mutants, sample
from grader.mutation.run import Trace, run_mutants, trace_tests
from grader.paths import CONTRACTS_DIR
from grader.sandbox.output import CappedOutput
from grader.sandbox.runner import ProcessResult, Sandbox
from grader.stages.junit import MAX_JUNIT_BYTES, TestCounts, read_junit, reconcile

CHECKS = ("tests.public", "tests.student", "tests.quality", "tests.coverage")
# Runs pytest non-dumpable (PR_SET_DUMPABLE = 0 where prctl exists): the other processes of the
# job's uid (the service the public tests start, and anything it leaves behind) can then neither
# ptrace pytest nor open its file descriptors under /proc, so they cannot reach the JUnit pipe.
NON_DUMPABLE_PYTEST = """
import sys
try:
    import ctypes

    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0 (Linux only)
except (ImportError, AttributeError, OSError):
    pass
import pytest

sys.exit(pytest.main(sys.argv[1:]))
"""


def prepare_public_tests(ctx: GradeContext) -> None:
    """Assemble the pristine public tests: the suite's ``public/`` files plus the contract."""
    source = ctx.rubric.directory / "public"
    target = ctx.sandbox.public
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(CONTRACTS_DIR / f"{ctx.rubric.contract}.json", target / "contract.json")
    # An explicit, empty ini: the submission's own pytest configuration (addopts, plugins) is not used.
    (target / "pytest.ini").write_text("[pytest]\n")


def _summary(counts: TestCounts) -> str:
    text = f"{counts.passed} passed, {counts.failed} failed, {counts.skipped} skipped"
    if counts.failures:
        text += "\nFailing tests:\n- " + "\n- ".join(counts.failures[:15])
    return text


def _has_pytest(ctx: GradeContext) -> bool:
    return (ctx.sandbox.venv / "bin" / "pytest").exists()


def _timeout(ctx: GradeContext) -> float:
    return float(ctx.settings("tests")["timeout_s"])


def run_public_tests(ctx: GradeContext) -> None:
    """``tests.public``: points in proportion to passed public tests."""
    started = time.monotonic()
    box = ctx.sandbox
    prepare_public_tests(ctx)
    # pytest writes its JUnit XML into a pipe only it holds, not into a file: a file in a directory
    # the job can write could be replaced by a leftover process after pytest exits.
    read_end, write_end = os.pipe()
    if box.uid is not None:
        os.fchown(write_end, box.uid, box.uid)  # so pytest, as the job's uid, may open /dev/fd/N
    collected = CappedOutput(os.fdopen(read_end, "rb"), MAX_JUNIT_BYTES + 1)
    junit = box.workdir / "public-junit.xml"  # grader-owned: the job cannot write here
    argv = [
        str(box.venv / "bin" / "python"),
        "-I",
        "-c",
        NON_DUMPABLE_PYTEST,
        "--noconftest",
        "-p",
        "no:cacheprovider",
        "-c",
        str(box.public / "pytest.ini"),
        "--rootdir",
        str(box.public),
        "-q",
        f"--junitxml=/dev/fd/{write_end}",
        str(box.public),
    ]
    env = box.env({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "SUBMISSION_ROOT": str(box.src)})
    try:
        result = box.run(
            argv, env=env, limits=box.limits.with_wall(_timeout(ctx)), pass_fds=(write_end,)
        )
    finally:
        os.close(write_end)
    collected.join(10)
    junit.write_bytes(collected.text().encode() if not collected.truncated else b"")
    counts = reconcile(read_junit(junit), result.returncode)
    if result.timed_out:
        ctx.failed(
            "tests.public", f"the public tests timed out after {_timeout(ctx):g} s", started=started
        )
    elif not counts.readable or counts.total == 0:
        ctx.failed(
            "tests.public", f"the public tests did not run:\n{result.tail(20)}", started=started
        )
    elif counts.failed == 0 and counts.passed == counts.total:
        ctx.passed("tests.public", _summary(counts), started=started)
    else:
        ctx.failed(
            "tests.public", _summary(counts), fraction=counts.passed / counts.total, started=started
        )


def _pytest_cov_installed(box: Sandbox) -> bool:
    """Is pytest-cov in the job's environment?"""
    return any(box.venv.glob("lib/python*/site-packages/pytest_cov"))


def student_pytest(box: Sandbox) -> list[str]:
    """The student's own suite, as the grader runs it (the public tests are not part of it).

    Your own coverage run is switched off (``--no-cov``): the grader measures coverage itself
    (tests.coverage), a planted-bug run of a few tests would fail your ``--cov-fail-under``, and
    coverage.py's tracer would replace the grader's.
    """
    argv = [
        str(box.venv / "bin" / "python"),
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--ignore=tests/public",
    ]
    return [*argv, "--no-cov"] if _pytest_cov_installed(box) else argv


def run_student_tests(ctx: GradeContext) -> None:
    """``tests.student``: your suite passes and has at least ``min_student_tests`` tests."""
    started = time.monotonic()
    box = ctx.sandbox
    minimum = int(ctx.thresholds.get("min_student_tests", 1))
    junit = box.results / "student.xml"
    junit.unlink(missing_ok=True)
    argv = [*student_pytest(box), f"--junitxml={junit}"]
    traced = _needs_trace(ctx)
    if traced:
        # One run gives the verdict and the lines the suite runs (coverage, planted-bug selection).
        ctx.trace, result = _trace(ctx, argv)
        counts = reconcile(read_junit(junit), result.returncode)
    if not traced or not _green(result, counts):
        # Untraced, or not green under the tracer (its slowdown may break a timing bound): the
        # plain run decides.
        junit.unlink(missing_ok=True)
        result = box.run(argv, limits=box.limits.with_wall(_timeout(ctx)))
        counts = reconcile(read_junit(junit), result.returncode)
    ctx.suite_green = _green(result, counts)
    if result.timed_out:
        ctx.failed(
            "tests.student", f"your tests timed out after {_timeout(ctx):g} s", started=started
        )
    elif result.returncode == 5 or (counts.readable and counts.total == 0):
        ctx.failed(
            "tests.student", "pytest collected no tests outside tests/public", started=started
        )
    elif not counts.readable:
        ctx.failed(
            "tests.student", f"pytest did not produce results:\n{result.tail(20)}", started=started
        )
    elif counts.failed == 0 and counts.passed >= minimum:
        ctx.passed("tests.student", _summary(counts), started=started)
    else:
        note = (
            ""
            if counts.passed + counts.failed >= minimum
            else f"\nAt least {minimum} tests are expected."
        )
        ctx.failed(
            "tests.student",
            _summary(counts) + note,
            fraction=counts.passed / max(counts.total, minimum),
            started=started,
        )


def run_test_quality(ctx: GradeContext) -> None:
    """``tests.quality``: the share of planted bugs (mutants of your app code) your suite catches."""
    started = time.monotonic()
    if ctx.options.mode == "check" and not ctx.options.tests_quality:
        ctx.skip_stage("tests", "planted bugs run in `grader check` only with --tests-quality")
        return
    if not ctx.suite_green:
        ctx.failed(
            "tests.quality",
            "not run: your suite does not pass on your unmodified code (see tests.student), so "
            "it cannot tell a planted bug from a bug of its own",
            started=started,
        )
        return
    if not ctx.commands.app:
        ctx.failed(
            "tests.quality",
            'not run: declare your application code in pyproject.toml: [tool.mlops-course] app = "app"',
            started=started,
        )
        return
    t, settings = ctx.thresholds, ctx.settings("tests")
    mutants, nulls = find_mutants(ctx.sandbox.src, ctx.commands.app)
    chosen = sample(
        mutants, nulls, seed_from(ctx.commit), int(t["mutants"]), int(t["null_mutants"])
    )
    if not any(not m.null for m in chosen):
        ctx.failed(
            "tests.quality", "no mutable code found in the declared app paths", started=started
        )
        return
    for cache in ctx.sandbox.src.rglob("__pycache__"):  # a stale .pyc could hide a mutant
        shutil.rmtree(cache, ignore_errors=True)
    box = ctx.sandbox
    argv = [*student_pytest(box), "-x", "-p", "no:randomly"]
    env = box.env({"PYTHONDONTWRITEBYTECODE": "1"})
    trace = traced_suite(ctx)
    ctx.progress(f"tests: {len(chosen)} planted bugs")
    result = run_mutants(
        box,
        argv,
        chosen,
        float(settings["mutation_run_timeout_s"]),
        float(settings["mutation_budget_s"]),
        env=env,
        coverage=trace.tests_by_line,
        workers=int(settings["mutation_workers"]),
    )
    ctx.mutation = {
        "killed": [m.describe() for m in result.killed],
        "survived": [m.describe() for m in result.survived],
        "null_failed": [m.describe() for m in result.nulls_failed],
        "null_timed_out": [m.describe() for m in result.nulls_timed_out],
        "not_run": result.not_run,
        "seconds": result.seconds,
    }
    summary = (  # no timings: a regrade of the same commit gives the same feedback
        f"your suite caught {len(result.killed)} of {result.run} planted bugs "
        f"({result.kill_share:.0%}"
        + (f"; {result.not_run} not run within the time budget" if result.not_run else "")
        + ")"
        + (
            f". Each planted bug ran your whole suite: {trace.problem}"
            if trace.tests_by_line is None and result.not_run
            else ""
        )
    )
    if result.nulls_failed:
        ctx.failed(
            "tests.quality",
            f"{summary}, but it also failed on a change that alters no behaviour "
            f"({result.nulls_failed[0].describe()}): a suite must test what the code does, not "
            "its text (a hash of the source, a line count) or its environment",
            started=started,
        )
        return
    if result.nulls_timed_out and not result.nulls_passed:
        ctx.record(
            "tests.quality",
            "skipped",
            0.0,
            f"skipped: {summary}, but your suite did not finish within "
            f"{float(settings['mutation_run_timeout_s']):g} s on a copy of your code with no "
            "behaviour changed, so the grader cannot tell what it catches from what it does "
            "not (a busy grading machine, or a slow suite). Regrade; if it repeats, make the "
            "suite faster",
            started=started,
        )
        return
    missed = result.missed()
    lines = [summary]
    if missed:
        lines.append("It did not notice:")
        for name, where in missed.items():
            lines.append(f"- {name}: {'; '.join(where[:3])}")
    full = float(t["mutation_full_kill_share"])
    fraction = min(1.0, result.kill_share / full) if result.run else 0.0
    if fraction >= 1.0:
        ctx.passed("tests.quality", "\n".join(lines), started=started)
    else:
        lines.append(f"Full points from {full:.0%} of planted bugs caught.")
        ctx.failed("tests.quality", "\n".join(lines), fraction=fraction, started=started)


def _green(result: ProcessResult, counts: TestCounts) -> bool:
    """Did the suite finish, run at least one test and fail none?"""
    return not result.timed_out and counts.readable and counts.total > 0 and counts.failed == 0


def _needs_trace(ctx: GradeContext) -> bool:
    """Will this grading read which lines the suite runs (coverage, or planted bugs that run)?"""
    if not ctx.commands.app:
        return False
    wanted = {c.id for c in ctx.rubric.stage_checks("tests") if ctx.wanted(c)}
    quality_runs = ctx.options.mode != "check" or ctx.options.tests_quality
    return "tests.coverage" in wanted or ("tests.quality" in wanted and quality_runs)


def _trace(ctx: GradeContext, argv: list[str]) -> tuple[Trace, ProcessResult]:
    box = ctx.sandbox
    ctx.progress("tests: your suite, and which lines it runs")
    return trace_tests(
        box,
        argv,
        ctx.commands.app,
        _timeout(ctx),  # a whole run of your suite, like tests.student's
        box.env({"PYTHONDONTWRITEBYTECODE": "1"}),
    )


def traced_suite(ctx: GradeContext) -> Trace:
    """Your suite run once under the grader's line tracer (cached for the job; usually the run
    that gave ``tests.student`` its verdict)."""
    if ctx.trace is None:
        ctx.trace, _ = _trace(ctx, student_pytest(ctx.sandbox))
    return ctx.trace


def run_test_coverage(ctx: GradeContext) -> None:
    """``tests.coverage``: the share of your app's statements your own suite executes."""
    started = time.monotonic()
    if not ctx.suite_green:
        ctx.failed(
            "tests.coverage",
            "not run: your suite does not pass on your unmodified code (see tests.student)",
            started=started,
        )
        return
    if not ctx.commands.app:
        ctx.failed(
            "tests.coverage",
            'not run: declare your application code in pyproject.toml: [tool.mlops-course] app = "app"',
            started=started,
        )
        return
    trace = traced_suite(ctx)
    if trace.executed is None:
        ctx.failed("tests.coverage", f"not measured: {trace.problem}", started=started)
        return
    measured = measure(ctx.sandbox.src, ctx.commands.app, trace.executed)
    if not measured.statements:
        ctx.failed(
            "tests.coverage", "no statements found in the declared app paths", started=started
        )
        return
    floor, zero = float(ctx.thresholds["coverage_floor"]), float(ctx.thresholds["coverage_zero"])
    lines = [
        f"your suite runs {measured.covered} of {measured.statements} statements of your app "
        f"code ({measured.share:.1%}; the grader's tracer, in-process, like `pytest --cov` "
        "without subprocess measurement)"
    ]
    for file in measured.worst():
        lines.append(f"- {file.path}: missing {ranges(file.missing)}")
    fraction = min(1.0, max(0.0, (measured.share - zero) / (floor - zero)))
    if fraction >= 1.0:
        ctx.passed("tests.coverage", "\n".join(lines), started=started)
    else:
        lines.append(f"Full points from {floor:.0%}, none below {zero:.0%}.")
        ctx.failed("tests.coverage", "\n".join(lines), fraction=fraction, started=started)


def run(ctx: GradeContext) -> None:
    """Both test checks, or a clear reason why they cannot run."""
    if not ctx.installed:
        ctx.fail_stage(
            "tests", "not run: the environment did not install (see install.environment)"
        )
        return
    if not _has_pytest(ctx):
        ctx.fail_stage(
            "tests",
            "pytest is not installed in your environment: add it to the `dev` dependency "
            "group (`uv add --dev pytest`) and commit uv.lock",
        )
        return
    ctx.progress("tests: starting the service")
    if ensure_service(ctx):
        ctx.progress("tests: public tests")
        run_public_tests(ctx)
    else:  # every public test talks to the service: do not wait for it a second time
        ctx.failed("tests.public", NOT_STARTED)
    ctx.progress("tests: your tests")
    run_student_tests(ctx)
    if any(c.id == "tests.coverage" and ctx.wanted(c) for c in ctx.rubric.checks):
        run_test_coverage(ctx)
    if any(c.id == "tests.quality" and ctx.wanted(c) for c in ctx.rubric.checks):
        run_test_quality(ctx)
