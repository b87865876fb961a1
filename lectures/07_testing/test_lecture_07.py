"""Tests for lecture 7: the examples run, the example suite passes, and it catches a planted bug."""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import runpy
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parent / "examples"
SUITE = EXAMPLES / "check_churn_model_behaviour.py"
INI = EXAMPLES / "pytest.ini"


def _load(name: str) -> ModuleType:
    key = f"lecture07_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def _env(**extra: str) -> dict[str, str]:
    drop = {"CHURN_CHECKS_BUG", "CHURN_THRESHOLD", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Load only the plugins the suite needs (named with -p below): autoloading every pytest
    # plugin installed in the course environment costs seconds per run.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.update(extra)
    return env


def _junit(path: Path) -> dict[str, str]:
    """Map test name -> outcome ("passed", "failed", "skipped", "error") from a JUnit XML."""
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
        outcomes[case.attrib["name"]] = outcome
    return outcomes


@pytest.fixture(scope="module")
def suite_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the example suite twice, concurrently: healthy (under pytest-cov) and bugged."""
    tmp = tmp_path_factory.mktemp("suite")
    healthy = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "pytest_cov",
            "-p",
            "pytest_timeout",
            "-q",
            "-c",
            str(INI),
            "--cov",
            "--cov-config=.coveragerc",
            "--cov-report=term-missing",
            f"--cov-report=json:{tmp / 'coverage.json'}",
            "--cov-fail-under=70",
            f"--junitxml={tmp / 'healthy.xml'}",
            str(SUITE),
        ],
        cwd=EXAMPLES,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    bugged = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "pytest_timeout",
            "-q",
            "-c",
            str(INI),
            f"--junitxml={tmp / 'bugged.xml'}",
            str(SUITE),
        ],
        cwd=EXAMPLES,
        env=_env(CHURN_CHECKS_BUG="id_feature"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    healthy_out, _ = healthy.communicate(timeout=180)
    bugged_out, _ = bugged.communicate(timeout=180)
    return {
        "healthy_rc": healthy.returncode,
        "healthy_out": healthy_out,
        "healthy": _junit(tmp / "healthy.xml"),
        "coverage": json.loads((tmp / "coverage.json").read_text()),
        "bugged_rc": bugged.returncode,
        "bugged_out": bugged_out,
        "bugged": _junit(tmp / "bugged.xml"),
    }


def test_healthy_suite_passes_every_test(suite_runs: dict) -> None:
    assert suite_runs["healthy_rc"] == 0, suite_runs["healthy_out"][-3000:]
    outcomes = suite_runs["healthy"]
    assert len(outcomes) >= 30
    assert set(outcomes.values()) == {"passed"}
    # The three CheckList test types and the HTTP layer are all represented.
    for name in (
        "test_minimum_functionality[at_risk]",
        "test_invariance_to_customer_id[C99999]",
        "test_two_year_contract_lowers_churn",
        "test_golden_metrics_do_not_regress",
        "test_invalid_input_is_rejected_with_422[contract-Three year]",
    ):
        assert outcomes[name] == "passed"


def test_coverage_report_is_meaningful(suite_runs: dict) -> None:
    """pytest-cov (coverage.py) measured the example sources, not the tests themselves."""
    report = suite_runs["coverage"]
    assert report["meta"]["version"]  # written by coverage.py
    assert 70.0 <= report["totals"]["percent_covered"] < 100.0
    assert set(report["files"]) == {"churn_api.py", "churn_checks.py", "churn_rules.py"}
    out = suite_runs["healthy_out"]
    assert re.search(r"^TOTAL\s+\d+\s+\d+\s+\d+%", out, flags=re.MULTILINE), out[-2000:]
    assert "Required test coverage of 70% reached" in out
    # main() is exercised by this file, not by the suite, so its lines show up as missing,
    # while the prediction endpoint's body is covered.
    source = (EXAMPLES / "churn_checks.py").read_text().splitlines()
    main_line = next(i for i, line in enumerate(source, 1) if line.startswith("def main("))
    assert main_line + 2 in report["files"]["churn_checks.py"]["missing_lines"]
    api_source = (EXAMPLES / "churn_api.py").read_text().splitlines()
    predict_line = next(i for i, line in enumerate(api_source, 1) if "probability = float(" in line)
    assert predict_line not in report["files"]["churn_api.py"]["missing_lines"]


def test_no_coverage_stand_in_is_left() -> None:
    """Error 4: pytest-cov is in the dev group, so the lecture uses it, not a home-made tracer."""
    assert not (EXAMPLES / "mini_coverage.py").exists()
    import pytest_cov  # noqa: F401  (installed with the course's dev group)

    readme = (EXAMPLES.parent / "README.md").read_text()
    assert "mini_coverage" not in readme
    assert "--cov" in readme


def test_mutation_testing_separates_running_from_checking(tmp_path: Path) -> None:
    """mutmut on the service's decision rules: both suites run every line, one checks them."""
    mutation = _load("mutation_testing")
    reports = mutation.compare(tmp_path)
    weak, strong = reports["weak"], reports["strong"]
    assert weak.line_coverage == strong.line_coverage == 100.0
    assert weak.total == strong.total >= 10
    assert 0 < weak.survived < weak.total and weak.killed + weak.survived == weak.total
    assert (strong.killed, strong.survived) == (strong.total, 0)
    diffs = "\n".join(weak.survivors.values())
    assert "return probability > threshold" in diffs  # the untested boundary p == threshold
    assert "0.0 <= value" in diffs  # a threshold of exactly 0 is never tried


def test_planted_id_bug_is_caught_only_by_invariance_tests(suite_runs: dict) -> None:
    assert suite_runs["bugged_rc"] == 1
    failed = {name for name, outcome in suite_runs["bugged"].items() if outcome == "failed"}
    assert failed == {
        "test_invariance_to_customer_id[C99999]",
        "test_invariance_to_customer_id[someone-else]",
        "test_invariance_to_customer_id[x]",
        "test_api_prediction_ignores_customer_id",
    }
    # The point of the lecture: the golden metric does NOT notice the memorising model.
    assert suite_runs["bugged"]["test_golden_metrics_do_not_regress"] == "passed"


def test_churn_checks_main_prints_behavioural_report(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "churn_checks.py"), run_name="__main__")
    out = capsys.readouterr().out
    auc = float(re.search(r"roc_auc=(\d\.\d{4})", out).group(1))
    assert 0.80 <= auc <= 0.90
    assert "INV customer_id       : max |change| = 0.000000" in out
    assert "drops for 100% of 200 month-to-month customers" in out
    loyal = float(re.search(r"MFT loyal customer\s+: p\(churn\)=(\d\.\d+)", out).group(1))
    assert loyal < 0.2


def test_id_bug_moves_predictions_but_not_auc() -> None:
    cc = _load("churn_checks")
    train, test = cc.split(cc.load_data())
    bugged = cc.train_model(train, bug="id_feature")
    seen = cc.records(train.head(100))
    assert cc.invariance_gap(bugged, seen, customer_id="C99999") > 0.05
    golden = cc.load_golden()
    assert abs(cc.evaluate(bugged, test)["roc_auc"] - golden["roc_auc"]) < golden["tolerance"]


def test_api_main_shows_200_and_422(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "churn_api.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "GET /health -> {'status': 'ok'}" in out
    assert "POST /predict -> 200" in out
    assert "'customer_id': 'C-demo-1'" in out
    assert "POST /predict (contract='Three year') -> 422" in out


def test_pytest_ini_declares_every_marker_the_suite_uses() -> None:
    parser = configparser.ConfigParser()
    parser.read(INI)
    declared = {
        line.split(":")[0].strip() for line in parser["pytest"]["markers"].splitlines() if line
    }
    used = set(re.findall(r"@pytest\.mark\.(\w+)", SUITE.read_text())) - {"parametrize"}
    assert used == declared == {"data", "model", "api"}
    assert "--strict-markers" in parser["pytest"]["addopts"]
    assert parser["pytest"]["python_files"] == "check_*.py"


def test_golden_metrics_file_is_consistent() -> None:
    golden = json.loads((EXAMPLES / "golden_metrics.json").read_text())
    assert golden["roc_auc_floor"] <= golden["roc_auc"] - golden["tolerance"]
    assert 0.5 < golden["accuracy"] < 1.0
