"""Install stage: build the submission's own environment with uv, then run its optional train command."""

from __future__ import annotations

import os
import time
from pathlib import Path

import uv

from grader.grading.context import GradeContext
from grader.sandbox.trusted import run_trusted
from grader.stages.interpreter import submission_python

CHECKS = ("install.environment",)


def uv_cache_dir() -> Path:
    """The install cache shared by every job (``$GRADER_UV_CACHE`` overrides)."""
    default = Path.home() / ".cache" / "mlops-course-grader" / "uv"
    return Path(os.environ.get("GRADER_UV_CACHE", default))


def uv_sync_command(src: Path) -> list[str]:
    """``uv sync`` that installs the dependencies only and never builds anything from source.

    ``--no-install-project`` keeps the submission's build backend from running; ``--no-build`` refuses
    sdists and local/git sources, whose build scripts are code too. With a lockfile, ``--locked``.
    """
    cmd = [
        uv.find_uv_bin(),
        "sync",
        "--no-install-project",
        "--no-build",
        "--no-config",
        "--no-python-downloads",
    ]
    if (src / "uv.lock").is_file():
        cmd.append("--locked")
    return cmd


def run(ctx: GradeContext) -> None:
    """Record ``install.environment``; on success mark the context installed and run ``train``."""
    started = time.monotonic()
    box = ctx.sandbox
    settings = ctx.settings("install")
    ctx.progress("install: uv sync")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(box.home),
        "UV_PROJECT_ENVIRONMENT": str(box.venv),
        "UV_CACHE_DIR": str(uv_cache_dir()),
        "UV_PYTHON": submission_python(box.isolation.drop_user),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_LINK_MODE": "hardlink",
    }
    for key in ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "SSL_CERT_FILE", "UV_OFFLINE"):
        if key in os.environ:
            env[key] = os.environ[key]
    # uv runs as the grader (it executes no submission code: see uv_sync_command), outside the sandbox.
    result = run_trusted(
        uv_sync_command(box.src), box.src, env, timeout=float(settings["timeout_s"])
    )
    if not result.ok:
        reason = "timed out" if result.timed_out else f"exit code {result.returncode}"
        ctx.failed(
            "install.environment",
            f"`uv sync` failed ({reason}). Reproduce with `uv sync --locked` in your repository.\n"
            f"{result.tail(25)}",
            started=started,
        )
        return
    for path in [box.venv, *box.venv.rglob("*")]:  # the job may read, never modify, its environment
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    ctx.installed = True
    ctx.passed("install.environment", "environment installed", started=started)
    if ctx.commands.train:
        ctx.progress("install: train")
        trained = box.run(
            ctx.commands.train, limits=box.limits.with_wall(float(settings["train_timeout_s"]))
        )
        if not trained.ok:
            reason = "timed out" if trained.timed_out else f"exit code {trained.returncode}"
            ctx.train_problem = f"the train command failed ({reason}):\n{trained.tail(15)}"
