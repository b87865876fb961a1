"""``python -m app.serve --host H --port P``: check the settings, migrate, then hand over to gunicorn.

Migrating here, once, before gunicorn forks its workers, keeps the workers free of schema work and
gives a clear one-line error (exit 2: bad settings, exit 3: no database) instead of a traceback.
``python -m app.serve --migrate-only`` migrates and exits (a Kubernetes init container runs it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from app.settings import Settings, SettingsError

WORKERS = 2  # processes; each runs THREADS requests at a time on its own connection pool
THREADS = 4


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
        print(f"database schema at revision {upgrade(engine)}", flush=True)
    except DATABASE_DOWN as exc:
        return fail(f"the database went away while migrating ({type(exc).__name__})", 3)
    finally:
        engine.dispose()
    return 0


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
    if (settings.migrate_on_start or args.migrate_only) and (code := prepare(settings)):
        return code
    if args.migrate_only:
        return 0
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--graceful-timeout",
        "20",
        "app.main:create_app()",
    ]
    os.execv(sys.executable, gunicorn)
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main())
