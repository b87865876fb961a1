"""Every lecture's lab: its parts exist, its tests fail on the starter and pass on the solution.

A lab is ``lectures/NN_slug/lab/`` with ``README.md``, ``conftest.py``, ``starter/``, ``solution/``
and ``tests/``. The lab's ``conftest.py`` puts ``$LAB_DIR`` (default ``starter/``) first on
``sys.path``, so the same tests check whichever copy ``LAB_DIR`` names (every lab uses the same
``conftest.py``: copy ``lectures/01_what_is_mlops/lab/conftest.py``). Tests never call the student's
code from a fixture: a TODO must show up as a failed test, not as an error. Labs are left out of the
main collection (see the root ``conftest.py``); this module runs each lab's tests in a subprocess,
once with ``LAB_DIR=<lab>/starter`` and once with ``LAB_DIR=<lab>/solution``:

* on the starter pytest must exit 1 with at least one *failed* test and no errors: the starter
  imports cleanly and the student sees assertions, not a collection crash;
* on the solution pytest must exit 0 with every test passed (none skipped).

The runs load only the pytest plugins in ``LAB_PLUGINS`` (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``): the
plugins other dependencies register would cost seconds of start-up in every run.

The subprocesses of all selected labs start together (a few at a time) the first time a lab test
asks for a result, so the harness costs about the slowest lab rather than the sum of all of them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LECTURES = sorted(p for p in (ROOT / "lectures").iterdir() if re.fullmatch(r"\d{2}_\w+", p.name))
LABS = [lecture / "lab" for lecture in LECTURES if (lecture / "lab").is_dir()]
VARIANTS = ("starter", "solution")
LAB_PARTS = ("README.md", "conftest.py", "starter", "solution", "tests")
TIMEOUT_SECONDS = 300
LAB_PLUGINS = ("pytest_timeout", "anyio.pytest_plugin")
PARALLEL_RUNS = 3


@dataclass(frozen=True)
class LabRun:
    """The outcome of one lab's tests against one variant (starter or solution)."""

    returncode: int
    tests: int
    failures: int
    errors: int
    skipped: int
    seconds: float
    output: str

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    def describe(self) -> str:
        """A summary plus the tail of pytest's output, for assertion messages."""
        tail = "\n".join(self.output.strip().splitlines()[-40:])
        return (
            f"exit {self.returncode}: {self.tests} tests, {self.failures} failed, "
            f"{self.errors} errors, {self.skipped} skipped in {self.seconds:.1f}s\n{tail}"
        )


def run_lab(lab: Path, variant: str, workdir: Path) -> LabRun:
    """Run ``lab``'s tests with ``LAB_DIR=<lab>/<variant>`` in a fresh interpreter."""
    report = workdir / f"{lab.parent.name}-{variant}.xml"
    # Plugins from the dependencies (hypothesis, schemathesis, hydra, ...) would cost seconds of
    # start-up in each of the runs; a lab gets only the ones it may need.
    env = {**os.environ, "LAB_DIR": str(lab / variant), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", str(lab), "-q", "-p", "no:cacheprovider"]
    command += [arg for plugin in LAB_PLUGINS for arg in ("-p", plugin)]
    command += [f"--junitxml={report}"]
    started = time.perf_counter()
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = f"{exc.stdout or ''}{exc.stderr or ''}"
        return LabRun(
            -1, 0, 0, 0, 0, TIMEOUT_SECONDS, f"timed out after {TIMEOUT_SECONDS}s\n{output}"
        )
    seconds = time.perf_counter() - started
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.is_file():
        for suite in ET.parse(report).getroot().iter("testsuite"):
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    return LabRun(
        result.returncode, seconds=seconds, output=result.stdout + result.stderr, **counts
    )


@pytest.fixture(scope="session")
def lab_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], Future[LabRun]]]:
    """Start the runs the selected tests need, all at once; each test waits for its own."""
    wanted = {
        (item.callspec.params["lab"], item.callspec.params["variant"])
        for item in request.session.items
        if item.originalname == "test_lab_self_check" and hasattr(item, "callspec")
    }
    workdir = tmp_path_factory.mktemp("lab-runs")
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        yield {
            (lab, variant): pool.submit(run_lab, ROOT / "lectures" / lab / "lab", variant, workdir)
            for lab, variant in sorted(wanted)
        }


@pytest.mark.parametrize("lecture", [p.name for p in LECTURES])
def test_every_lecture_has_a_lab(lecture: str) -> None:
    lab = ROOT / "lectures" / lecture / "lab"
    missing = [part for part in LAB_PARTS if not (lab / part).exists()]
    assert not missing, f"lectures/{lecture}/lab is missing {missing}"
    assert sorted((lab / "tests").glob("test_*.py")), (
        f"lectures/{lecture}/lab/tests has no test_*.py"
    )
    readme = (lab / "README.md").read_text(encoding="utf-8")
    command = f"uv run pytest lectures/{lecture}/lab"
    assert command in readme, f"lab README must name the self-check command `{command}`"
    conftest = (lab / "conftest.py").read_text(encoding="utf-8")
    assert "LAB_DIR" in conftest, "the lab conftest must honour $LAB_DIR"
    notes = (ROOT / "lectures" / lecture / "README.md").read_text(encoding="utf-8")
    assert "](lab/README.md)" in notes, f"lectures/{lecture}/README.md must link lab/README.md"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("lab", [lab.parent.name for lab in LABS])
def test_lab_self_check(
    lab: str, variant: str, lab_runs: dict[tuple[str, str], Future[LabRun]]
) -> None:
    run = lab_runs[(lab, variant)].result()
    if variant == "starter":
        assert run.returncode == 1, f"the starter must fail its tests:\n{run.describe()}"
        assert run.errors == 0, (
            f"the starter must import cleanly (errors, not failures):\n{run.describe()}"
        )
        assert run.failures >= 1, run.describe()
    else:
        assert run.returncode == 0, f"the solution must pass its tests:\n{run.describe()}"
        assert run.passed == run.tests >= 1, (
            f"every test must pass, none skipped:\n{run.describe()}"
        )
