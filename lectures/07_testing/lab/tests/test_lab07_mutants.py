"""Lab 7 self-check: the behavioural suite accepts good models and kills every broken one.

The student's ``lab07_suite.py`` runs once, in a pytest subprocess, with ``lab07_models`` as a
plugin that parametrises its ``model`` fixture over healthy models and mutants. The JUnit report
says which test failed for which model.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lab07_models import HEALTHY, MUTANTS  # noqa: E402


def _suite_path() -> Path:
    spec = importlib.util.find_spec("lab07_suite")
    assert spec is not None and spec.origin, "lab07_suite.py is not on the path (LAB_DIR?)"
    return Path(spec.origin)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """model name -> {test name: "passed" | "failed" | "error" | "skipped"}."""
    tmp = tmp_path_factory.mktemp("lab07")
    ini = tmp / "pytest.ini"
    ini.write_text("[pytest]\npython_files = lab07_*.py\n")
    report = tmp / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "lab07_models",
            "-c",
            str(ini),
            "--rootdir",
            str(tmp),
            f"--junitxml={report}",
            str(_suite_path()),
        ],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.exists(), done.stdout + done.stderr
    result: dict[str, dict[str, str]] = {name: {} for name in HEALTHY + MUTANTS}
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for tag, label in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if case.find(tag) is not None:
                outcome = label
        tokens = set(re.split(r"[\[\]\-]", case.attrib["name"]))
        for name in tokens & result.keys():
            result[name][case.attrib["name"]] = outcome
    return result


def test_the_suite_has_a_test_of_each_kind(outcomes: dict[str, dict[str, str]]) -> None:
    names = " ".join(outcomes["released"])
    for kind in ("mft", "inv", "dir"):
        assert f"test_{kind}_" in names, f"no test named test_{kind}_... uses the model fixture"


@pytest.mark.parametrize("name", HEALTHY)
def test_the_suite_passes_on_a_healthy_model(
    outcomes: dict[str, dict[str, str]], name: str
) -> None:
    bad = {test: outcome for test, outcome in outcomes[name].items() if outcome != "passed"}
    assert outcomes[name], f"no test ran against the {name} model"
    assert not bad, f"the {name} model is fine, but these tests did not pass: {bad}"


@pytest.mark.parametrize("name", MUTANTS)
def test_the_suite_kills_the_mutant(outcomes: dict[str, dict[str, str]], name: str) -> None:
    failed = [test for test, outcome in outcomes[name].items() if outcome == "failed"]
    assert failed, f"mutant {name} survived: every test passed on a broken model"
