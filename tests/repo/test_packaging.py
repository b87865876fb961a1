"""Installing the course repository as a package gives a working `grader` (as a student's CI does)."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest
import uv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_carries_the_grader_data_and_installs_a_working_cli(tmp_path: Path) -> None:
    uv_bin = uv.find_uv_bin()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv_bin, "build", "--wheel", "-o", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
        env=env,
    )
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "grader/contracts/hw1.json",
        "grader/suites/hw1/rubric.toml",
        "grader/suites/hw1/cases.json",
        "grader/suites/common/holdout.csv",
        "grader/policy/ruff.toml",
        "grader/course/course.toml",
        "grader/calibration/train.csv",
        "grader/report/report.schema.json",
        "grader/templates/grade-caller.yml",
        "grader/suites/hw1/public/test_public_api.py",
    ):
        assert needed in names, f"the wheel lacks {needed}"
    assert not any("__pycache__" in n for n in names)
    venv = tmp_path / "venv"
    subprocess.run(
        [uv_bin, "venv", "-q", str(venv)], check=True, capture_output=True, timeout=120, env=env
    )
    subprocess.run(
        [uv_bin, "pip", "install", "-q", "--python", str(venv / "bin/python"), str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
        env=env,
    )
    done = subprocess.run(
        [str(venv / "bin/grader"), "rubric", "hw1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "| `model.holdout_quality` |" in done.stdout
