"""``python -m app.launch --host H --port P``: migrate the database, then serve with uvicorn.

Without ``DATABASE_URL`` (or with one of the wrong form) it stops with one line and exit code 2; a
database that does not answer within ``--wait`` seconds is exit code 3. ``--migrate-only`` stops
after migrating (the Kubernetes init container). Everything it, alembic and uvicorn log goes to
standard output as JSON lines (app/journal.py); uvicorn's access log is off, the application
writes its own line per request.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from app.journal import install

log = logging.getLogger("churn.launch")


def stop(message: str, code: int) -> int:
    """Say why the service cannot start (one log line); the exit code."""
    log.error(message)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Check, migrate, serve."""
    parser = argparse.ArgumentParser(
        prog="python -m app.launch", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the database")
    parser.add_argument("--migrate-only", action="store_true")
    parser.add_argument("--no-migrate", action="store_true", help="a Job migrates instead")
    parser.add_argument("--log-level", type=str.upper, default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    install(logging.getLevelNamesMapping().get(args.log_level, logging.INFO))

    from app.ledger import libpq_address

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return stop("DATABASE_URL is not set (postgresql+psycopg://USER:PASSWORD@HOST/DB)", 2)
    try:
        libpq_address(url)
    except ValueError as exc:
        return stop(str(exc), 2)
    if not args.no_migrate:
        from sqlalchemy.exc import OperationalError

        from app.schema import migrate

        try:
            log.info("schema at revision %s", migrate(url, args.wait))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            return stop(f"the database did not answer within {args.wait:g} s ({reason})", 3)
    if args.migrate_only:
        return 0

    import uvicorn

    # log_config=None: uvicorn keeps the logging set up above instead of installing its own.
    uvicorn.run("app.main:app", host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
