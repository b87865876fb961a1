"""Mutation testing with mutmut on the churn service's decision rules.

Coverage tells you which lines ran; mutation testing tells you whether the tests would notice if
those lines were wrong. mutmut copies the code into ``mutants/``, makes many small changes to it
(``>=`` becomes ``>``, ``0.0`` becomes ``1.0``, a string gets an extra character, ...) and runs
the tests against each *mutant*. A mutant the tests fail on is *killed*; one they pass on
*survived*, and every survivor is a behaviour nobody checks.

This script builds a scratch project for each of two suites of ``mutation/`` (``churn_rules.py``
plus the suite as ``tests/test_churn_rules.py``), measures its line coverage with pytest-cov, runs
``mutmut run`` and reads the counts back with ``mutmut export-cicd-stats``. Both suites cover
100% of the lines; only the strong one kills every mutant.

    uv run python lectures/07_testing/examples/mutation_testing.py
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITES = {
    "weak": HERE / "mutation" / "weak_suite.py",
    "strong": HERE / "mutation" / "strong_suite.py",
}
BIN = Path(sys.executable).parent

PYPROJECT = """\
[project]
name = "churn-rules-mutation"
version = "0"
requires-python = ">=3.11"

[tool.mutmut]
source_paths = ["churn_rules.py"]
pytest_add_cli_args_test_selection = ["tests/"]

[tool.pytest.ini_options]
addopts = "-p no:cacheprovider"
"""


@dataclass
class MutationReport:
    """What mutmut and pytest-cov found for one suite."""

    suite: str
    line_coverage: float
    killed: int
    survived: int
    total: int
    survivors: dict[str, str] = field(default_factory=dict)  # mutant name -> its diff

    @property
    def score(self) -> float:
        """Share of mutants the suite killed."""
        return self.killed / self.total if self.total else 0.0


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Only the plugins these runs need: loading every installed pytest plugin costs seconds.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def prepare(suite: Path, workdir: Path) -> Path:
    """A scratch project: the rules module, one test file and mutmut's configuration."""
    project = workdir / suite.stem
    (project / "tests").mkdir(parents=True)
    shutil.copyfile(HERE / "churn_rules.py", project / "churn_rules.py")
    shutil.copyfile(suite, project / "tests" / "test_churn_rules.py")
    (project / "pyproject.toml").write_text(PYPROJECT)
    return project


def line_coverage(project: Path) -> float:
    """Line coverage of churn_rules.py under the project's tests, measured by pytest-cov."""
    done = _run(
        [
            str(BIN / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "pytest_cov",
            "--cov=churn_rules",
            "--cov-report=json:coverage.json",
            "tests",
        ],
        project,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the suite itself fails:\n{done.stdout}{done.stderr}")
    return json.loads((project / "coverage.json").read_text())["totals"]["percent_covered"]


def mutant_diff(project: Path, name: str) -> str:
    """The changed lines of one mutant (what ``mutmut show NAME`` prints, without a process).

    mutmut keeps every mutant as a function ``x_<function>__mutmut_<n>`` next to the original
    ``x_<function>__mutmut_orig`` in ``mutants/<module>.py``.
    """
    module, function = name.rsplit(".", 1)
    source = (project / "mutants" / f"{module.replace('.', '/')}.py").read_text()
    bodies = {
        node.name: ast.get_source_segment(source, node) or ""
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }
    original = bodies[function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"]
    mutant = bodies[function]
    # compare the bodies: the `def` lines differ only in the function's name
    before, after = original.splitlines()[1:], mutant.splitlines()[1:]
    lines = difflib.unified_diff(before, after, lineterm="", n=0)
    return "\n".join(line for line in lines if line[:1] in "+-" and line[:3] not in {"+++", "---"})


def mutate(suite: Path, workdir: Path) -> MutationReport:
    """Run pytest-cov and then mutmut on one suite; return the counts and the survivors' diffs."""
    project = prepare(suite, workdir)
    coverage = line_coverage(project)
    mutmut = str(BIN / "mutmut")
    run = _run([mutmut, "run"], project)
    if run.returncode != 0:
        raise RuntimeError(f"mutmut run failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    _run([mutmut, "export-cicd-stats"], project)
    stats = json.loads((project / "mutants" / "mutmut-cicd-stats.json").read_text())
    results = _run([mutmut, "results"], project).stdout
    survivors = {
        name: mutant_diff(project, name)
        for name in re.findall(r"^\s*(\S+): survived$", results, flags=re.MULTILINE)
    }
    return MutationReport(
        suite=suite.stem,
        line_coverage=coverage,
        killed=stats["killed"],
        survived=stats["survived"],
        total=stats["total"],
        survivors=survivors,
    )


def compare(workdir: Path) -> dict[str, MutationReport]:
    """Mutation-test both suites (concurrently: each run is mostly waiting on pytest)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(mutate, path, workdir) for name, path in SUITES.items()}
        return {name: future.result() for name, future in futures.items()}


def main() -> None:
    """Print coverage next to the mutation score, and what the weak suite lets through."""
    with tempfile.TemporaryDirectory() as tmp:
        reports = compare(Path(tmp))
    for name, report in reports.items():
        print(
            f"{name:>6} suite: line coverage {report.line_coverage:.0f}%, "
            f"mutants killed {report.killed}/{report.total} ({report.score:.0%}), "
            f"survived {report.survived}"
        )
    print("\nwhat the weak suite does not check (surviving mutants):")
    for diff in reports["weak"].survivors.values():
        print("  " + "  ->  ".join(line[1:].strip() for line in diff.splitlines()))


if __name__ == "__main__":  # pragma: no cover
    main()
