"""Student repositories as real git repositories whose commit times sit around a deadline."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

GIT = [
    "git",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
]


def _git(repo: Path, *args: str, when: dt.datetime | None = None, author: str = "student") -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author}@students.example.invalid",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": f"{author}@students.example.invalid",
    }
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    done = subprocess.run(
        [*GIT, "-C", str(repo), *args], env=env, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


def init(repo: Path) -> None:
    """An empty repository on branch main."""
    _git(repo, "init", "-q")


def commit_all(repo: Path, message: str, when: dt.datetime, author: str) -> str:
    """Commit the whole working tree with author and committer dates ``when``; the new SHA."""
    _git(repo, "add", "-A", author=author)
    _git(repo, "commit", "-q", "--allow-empty", "-m", message, when=when, author=author)
    return _git(repo, "rev-parse", "HEAD")


def commit_time(repo: Path) -> dt.datetime:
    """The committer date of HEAD (what the grader records as the submission time)."""
    return dt.datetime.fromisoformat(_git(repo, "log", "-1", "--format=%cI"))
