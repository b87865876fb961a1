"""Self-check for lab 2: the notebook export became a quiet, tested, lint-clean module with a CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import churn_stats
import pytest

ROWS = [
    {"churn": "Yes", "contract": "Month-to-month"},
    {"churn": "No", "contract": "Month-to-month"},
    {"churn": "Yes", "contract": "Month-to-month"},
    {"churn": "No", "contract": "Two year"},
    {"churn": "No", "contract": "One year"},
    {"churn": "Yes", "contract": "One year"},
]


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    lines = ["churn,contract", *(f"{row['churn']},{row['contract']}" for row in ROWS)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_importing_the_module_runs_nothing(lab_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import churn_stats"],
        cwd=lab_dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", (
        "importing must not read data or print: move the cells into functions"
    )


def test_rates_per_group_highest_first() -> None:
    rates = churn_stats.churn_rate_by(ROWS, "contract")
    assert [(r.group, r.customers) for r in rates] == [
        ("Month-to-month", 3),
        ("One year", 2),
        ("Two year", 1),
    ]
    assert [r.churn_rate for r in rates] == pytest.approx([2 / 3, 0.5, 0.0])


def test_unknown_column_is_a_data_error_naming_it() -> None:
    with pytest.raises(churn_stats.DataError, match="unknown column 'gender'"):
        churn_stats.churn_rate_by(ROWS, "gender")


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(churn_stats.DataError, match="not found"):
        churn_stats.load_customers(tmp_path / "missing.csv")


def test_table_is_aligned_with_percentages() -> None:
    table = churn_stats.format_table(churn_stats.churn_rate_by(ROWS, "contract"))
    lines = table.splitlines()
    assert len(lines) == 4  # a header and three groups
    assert lines[1].startswith("Month-to-month") and lines[1].endswith("66.7%")
    assert len({len(line) for line in lines}) == 1, "columns must line up"


def test_cli_prints_json(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert churn_stats.main(["--data", str(csv_file), "--by", "contract", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed[0] == {
        "group": "Month-to-month",
        "customers": 3,
        "churn_rate": pytest.approx(2 / 3),
    }


def test_cli_bad_column_is_one_line_and_exit_2(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert churn_stats.main(["--data", str(csv_file), "--by", "gender"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "gender" in err
    assert len(err.splitlines()) == 1


def test_the_real_data_ranks_month_to_month_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert churn_stats.main(["--by", "contract"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("Month-to-month")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(lab_dir: Path, command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", str(lab_dir / "churn_stats.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
