"""``python -m app.serve --host H --port P``: check the settings, migrate, then hand over to gunicorn.

Migrating here, once, before gunicorn forks its workers, keeps the workers free of schema work and
gives a clear one-line error (exit 2: bad settings, exit 3: no database) instead of a traceback.
``python -m app.serve --migrate-only`` migrates and exits (a Kubernetes init container runs it).

The workers share their metrics through files (prometheus-client's multiprocess mode): this
command gives them an empty directory in ``PROMETHEUS_MULTIPROC_DIR`` before gunicorn starts, and
``gunicorn.conf.py`` removes a directory it made when gunicorn stops.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import MutableMapping, Sequence
from pathlib import Path

import structlog

from app.jsonlog import configure_logging
from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
WORKERS = 2  # processes; each runs THREADS requests at a time on its own connection pool
THREADS = 4
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
OWNED_METRICS_DIR = "CHURN_METRICS_DIR_OWNED"  # set when the directory is ours to delete


def fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def prepare(settings: Settings) -> int:
    """Wait for the database and migrate it; 0 or an exit code."""
    from app.db import DATABASE_DOWN, connect, wait_until_answering
    from app.schema import upgrade

    engine = connect(settings)
    try:
        if not wait_until_answering(engine, settings.startup_timeout_s):
            return fail(f"the database did not answer within {settings.startup_timeout_s:g} s", 3)
        structlog.get_logger("churn.serve").info("schema migrated", revision=upgrade(engine))
    except DATABASE_DOWN as exc:
        return fail(f"the database went away while migrating ({type(exc).__name__})", 3)
    finally:
        engine.dispose()
    return 0


def metrics_directory(env: MutableMapping[str, str]) -> Path:
    """An empty directory for the workers' metric files, named in ``env``.

    ``$PROMETHEUS_MULTIPROC_DIR`` when it is set (emptied: files of an earlier run would add old
    counts to the new ones), else a new temporary directory that gunicorn removes on exit.
    """
    given = env.get(METRICS_DIR)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="churn-metrics-"))
        env[OWNED_METRICS_DIR] = "1"
    env[METRICS_DIR] = str(path)
    return path


def gunicorn_command(host: str, port: int) -> list[str]:
    """The gunicorn command line that serves ``create_app()``."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONFIG),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--graceful-timeout",
        "20",
        "app.main:create_app()",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; migrate; exec gunicorn (or stop after migrating)."""
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--migrate-only", action="store_true", help="migrate, then exit")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        return fail(str(exc), 2)
    configure_logging()
    if (settings.migrate_on_start or args.migrate_only) and (code := prepare(settings)):
        return code
    if args.migrate_only:
        return 0
    metrics_directory(os.environ)
    os.chdir(ROOT)  # gunicorn imports gunicorn.conf.py and the app from here
    os.execv(sys.executable, gunicorn_command(args.host, args.port))
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main())
