"""`grader batch`: a class graded in parallel from directories and from a submissions file of git refs."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_full_isolation")]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_batch_from_a_submissions_file(repo_root: Path, tmp_path: Path) -> None:
    # A student repository with two commits: the ref pins the first one (the starter), not HEAD.
    repo = tmp_path / "student-repo"
    shutil.copytree(
        repo_root / "homework/hw1_api/starter", repo, ignore=shutil.ignore_patterns("__pycache__")
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=s", "-c", "user.email=s@example.invalid", "add", "-A")
    git(repo, "-c", "user.name=s", "-c", "user.email=s@example.invalid", "commit", "-qm", "starter")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("changed later\n")
    git(repo, "-c", "user.name=s", "-c", "user.email=s@example.invalid", "commit", "-qam", "later")
    empty = tmp_path / "empty-submission"
    empty.mkdir()
    subs = tmp_path / "subs.csv"
    subs.write_text(
        f"student_id,repository,ref\nalice,{repo},{first}\nbob,{empty},\ncarol,{tmp_path}/missing.git,main\n"
    )
    out = tmp_path / "grades"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "batch",
            "hw1",
            "--submissions",
            str(subs),
            "--jobs",
            "2",
            "--skip-load",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["student_id"]: r for r in csv.DictReader((out / "gradebook-hw1.csv").open())}
    assert set(rows) == {"alice", "bob", "carol"}
    assert rows["alice"]["commit"] == first and rows["alice"]["status"] == "graded"
    assert 0 < float(rows["alice"]["points"]) <= 40
    assert rows["bob"]["status"] == "graded" and float(rows["bob"]["points"]) == 0
    assert rows["carol"]["status"].startswith("error:")
    assert (out / "alice" / "report.json").is_file() and (out / "alice" / "report.md").is_file()
