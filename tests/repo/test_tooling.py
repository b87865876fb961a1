"""The repository follows its own lint policy and its pre-commit configuration is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ruff

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_check_and_format_are_clean_with_the_course_policy() -> None:
    lint = subprocess.run(
        [ruff.find_ruff_bin(), "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = subprocess.run(
        [ruff.find_ruff_bin(), "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_repository_ruff_config_extends_the_course_policy() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'extend = "grader/policy/ruff.toml"' in text


def test_pre_commit_config_is_valid_and_local_only() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "https://" not in (ROOT / ".pre-commit-config.yaml").read_text()


def test_generated_markdown_blocks_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "grader.render_blocks", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
