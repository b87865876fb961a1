"""A pytest plugin the grader loads into the student's suite once: which app lines the suite runs.

Two uses. The planted-bug stage runs, for each mutant, only the tests that execute its line (a
mutant on a line no test reaches in-process runs the whole suite). The coverage check counts every
app line run from the moment pytest loads the plugin (conftest imports and collection
included, as coverage.py does). Standard library only: it runs inside the submission's own environment.
``GRADER_TRACE_APP`` lists the application paths (``os.pathsep`` separated); the per-test map is
written to ``GRADER_TRACE_OUT`` as JSON ``{nodeid: ["file:line", ...]}`` and every line run to
``GRADER_TRACE_ALL`` as a JSON list.
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
ALL: set[str] = set()
OUTSIDE: set[str] = set()  # lines run outside any test (imports, collection, fixtures' teardown)
CURRENT: list[set[str]] = [OUTSIDE]


def _tracer(frame, event, arg):
    filename = frame.f_code.co_filename
    if not filename.startswith(APP):
        return None
    if event in ("call", "line"):
        line = f"{filename}:{frame.f_lineno}"
        CURRENT[0].add(line)
        ALL.add(line)
    return _tracer


# From the plugin's import on (``-p grader_trace`` imports it before any conftest.py): the app
# modules a conftest imports count as run, as under coverage.py.
sys.settrace(_tracer)
threading.settrace(_tracer)  # threads started by the code (a TestClient's portal) are traced


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    CURRENT[0] = LINES.setdefault(item.nodeid, set())
    sys.settrace(_tracer)  # a test or plugin may have replaced it
    try:
        yield
    finally:
        CURRENT[0] = OUTSIDE


def pytest_sessionfinish(session):
    sys.settrace(None)
    threading.settrace(None)
    with open(os.environ["GRADER_TRACE_OUT"], "w") as handle:
        json.dump({k: sorted(v) for k, v in LINES.items()}, handle)
    if os.environ.get("GRADER_TRACE_ALL"):
        with open(os.environ["GRADER_TRACE_ALL"], "w") as handle:
            json.dump(sorted(ALL), handle)
