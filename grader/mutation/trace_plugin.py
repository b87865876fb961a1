"""A pytest plugin the grader loads into the student's suite once: which app lines each test runs.

The planted-bug stage then runs, for each mutant, only the tests that execute its line (a mutant on
a line no test reaches in-process runs the whole suite). Standard library only: it runs inside the
submission's own environment. ``GRADER_TRACE_APP`` lists the application paths (``os.pathsep``
separated); the map is written to ``GRADER_TRACE_OUT`` as JSON ``{nodeid: ["file:line", ...]}``.
"""

import json
import os
import sys
import threading

import pytest

APP = tuple(
    os.path.abspath(p) for p in os.environ.get("GRADER_TRACE_APP", "").split(os.pathsep) if p
)
LINES: dict[str, set[str]] = {}
CURRENT: list[set[str]] = [set()]


def _tracer(frame, event, arg):
    filename = frame.f_code.co_filename
    if not filename.startswith(APP):
        return None
    if event in ("call", "line"):
        CURRENT[0].add(f"{filename}:{frame.f_lineno}")
    return _tracer


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    CURRENT[0] = LINES.setdefault(item.nodeid, set())
    sys.settrace(_tracer)
    threading.settrace(_tracer)  # threads started by the test (a TestClient's portal) are traced
    try:
        yield
    finally:
        sys.settrace(None)
        threading.settrace(None)


def pytest_sessionfinish(session):
    with open(os.environ["GRADER_TRACE_OUT"], "w") as handle:
        json.dump({k: sorted(v) for k, v in LINES.items()}, handle)
