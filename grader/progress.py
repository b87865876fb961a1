"""Progress output: a live status line on a terminal, plain timestamped lines otherwise (CI)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from rich.console import Console


def make_progress(
    label: str, console: Console | None = None
) -> tuple[Callable[[str], None], Callable[[], None]]:
    """(report(message), finish()) for one job; live on a TTY, line-per-event otherwise."""
    console = console or Console(stderr=True)
    start = time.monotonic()
    if console.is_terminal:
        status = console.status(f"{label}: starting")
        status.start()

        def report(message: str) -> None:
            status.update(f"{label}: {message} ({time.monotonic() - start:.0f} s)")

        return report, status.stop

    def plain(message: str) -> None:
        print(f"[{time.monotonic() - start:6.1f}s] {label}: {message}", file=sys.stderr, flush=True)

    return plain, lambda: None
