"""A submission on disk: its identity (commit, time), its declared commands, and a safe copy of it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

IGNORED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    ".mypy_cache",
}
MAX_COPY_BYTES = 300 * 1024 * 1024
MAX_FILES = 20_000


class SubmissionError(Exception):
    """Something about the submission itself is wrong: graded (not a usage error)."""


@dataclass(frozen=True)
class Commands:
    """What ``[tool.mlops-course]`` declares.

    ``app`` is the application code (package or module paths, relative to the repository root):
    declared once, read by the stages that work on the code itself (coverage, planted bugs,
    similarity). Tests, training scripts and the rest of the repository are not part of it.
    """

    serve: list[str] | None
    train: list[str] | None
    problem: str | None = None
    app: tuple[str, ...] = ()


def git_identity(path: Path) -> tuple[str, str | None]:
    """(commit SHA, commit time ISO 8601) of ``path``'s HEAD, or ("unknown", None) outside git.

    Runs git with hooks and fsmonitor disabled: the repository's own config must not run code.
    """
    base = [
        "git",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "safe.directory=*",
        "-C",
        str(path),
    ]
    try:
        sha = subprocess.run(
            base + ["rev-parse", "HEAD"], capture_output=True, text=True, timeout=20
        )
        when = subprocess.run(
            base + ["log", "-1", "--format=%cI"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    if sha.returncode != 0:
        return "unknown", None
    return sha.stdout.strip(), (when.stdout.strip() or None)


def copy_submission(source: Path, dest: Path) -> None:
    """Copy the working tree (not .git or local environments), refusing oversize trees.

    Symlinks are copied as links and never followed, so a link cannot pull grader files into the copy.
    """
    total = files = 0

    def ignore(directory: str, names: list[str]) -> set[str]:
        nonlocal total, files
        skipped = {n for n in names if n in IGNORED_DIRS}
        for name in names:
            if name in skipped:
                continue
            full = os.path.join(directory, name)
            if not os.path.islink(full) and os.path.isfile(full):
                total += os.path.getsize(full)
            files += 1
        if total > MAX_COPY_BYTES or files > MAX_FILES:
            raise SubmissionError(
                f"the repository is too large to grade (> {MAX_COPY_BYTES // 2**20} MiB or "
                f"> {MAX_FILES} files outside .git and virtual environments)"
            )
        return skipped

    shutil.copytree(source, dest, symlinks=True, ignore=ignore, dirs_exist_ok=True)


def read_pyproject(root: Path) -> dict:
    """The parsed ``pyproject.toml`` (a regular file, not a link), or raise SubmissionError."""
    path = root / "pyproject.toml"
    if path.is_symlink() or not path.is_file():
        raise SubmissionError("pyproject.toml is missing (or is a symbolic link)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"pyproject.toml is not valid TOML: {exc}") from exc


def _split(value: object, key: str) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        raise SubmissionError(f"[tool.mlops-course] {key} must be a non-empty command string")
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise SubmissionError(
            f"[tool.mlops-course] {key} is not a valid command line: {exc}"
        ) from exc


def _app_paths(value: object, root: Path) -> tuple[str, ...]:
    """``app = "app"`` or ``app = ["app", "worker.py"]``: existing paths inside the repository."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise SubmissionError("[tool.mlops-course] app must be a path or a list of paths")
    for item in items:
        target = (root / item).resolve()
        if not target.is_relative_to(root.resolve()) or not target.exists():
            raise SubmissionError(
                f"[tool.mlops-course] app names {item!r}, which is not a path in the repository"
            )
    return tuple(items)


def read_commands(root: Path) -> Commands:
    """Parse ``[tool.mlops-course]``; problems are reported, not raised."""
    try:
        table = read_pyproject(root).get("tool", {}).get("mlops-course", {})
        serve = _split(table["serve"], "serve") if "serve" in table else None
        train = _split(table["train"], "train") if "train" in table else None
        app = _app_paths(table["app"], root) if "app" in table else ()
    except SubmissionError as exc:
        return Commands(None, None, str(exc))
    problem = None if serve else "pyproject.toml has no [tool.mlops-course] serve command"
    return Commands(serve, train, problem, app)


def fill_placeholders(argv: list[str], host: str, port: int) -> list[str]:
    """Substitute ``{host}`` and ``{port}`` in each argument."""
    return [a.replace("{host}", host).replace("{port}", str(port)) for a in argv]


def resolve_source(path: str) -> Path:
    """The submission directory given on the command line, or a UsageError."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise UsageError(f"not a directory: {path}")
    try:
        next(root.iterdir(), None)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    return root.resolve()
