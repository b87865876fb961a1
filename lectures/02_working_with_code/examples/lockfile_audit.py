"""Does the running environment match the lockfile? A read-only audit of ``uv.lock``.

A lockfile pins every package of the resolved dependency graph, direct and transitive, to one
exact version plus the SHA-256 of every file that may be installed. This script parses the lock
with the standard library (``tomllib``), compares each pin with the version installed in the
current interpreter (``importlib.metadata``) and reports drift. It never installs anything.

Usage::

    uv run python lectures/02_working_with_code/examples/lockfile_audit.py
    uv run python lectures/02_working_with_code/examples/lockfile_audit.py --only numpy pandas
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DEFAULT_LOCK = Path(__file__).resolve().parents[3] / "uv.lock"


def normalise(name: str) -> str:
    """PEP 503 name normalisation: 'Scikit_Learn' and 'scikit-learn' are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    """One locked package."""

    name: str
    versions: tuple[str, ...]  # more than one when the universal lock forks the package
    source: str
    hashed_files: int


@dataclass(frozen=True)
class Finding:
    """The audit result for one pin."""

    pin: Pin
    installed: str | None

    @property
    def status(self) -> str:
        """'ok', 'drift' (another version installed) or 'absent' (not installed here)."""
        if self.installed is None:
            return "absent"
        return "ok" if self.installed in self.pin.versions else "drift"


def read_lock(path: Path) -> list[Pin]:
    """Parse ``uv.lock`` into pins, one per project name.

    uv writes a *universal* lock: one file for every platform and Python version. When one
    version cannot serve them all, the lock holds several ``[[package]]`` tables for the same
    name, each with ``resolution-markers``. A full audit would evaluate those markers (the
    ``packaging`` library can); this one simply accepts any of the forked versions.
    """
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    versions: dict[str, list[str]] = {}
    hashed: dict[str, int] = {}
    sources: dict[str, str] = {}
    for package in document.get("package", []):
        name = normalise(package["name"])
        files = list(package.get("wheels", []))
        if "sdist" in package:
            files.append(package["sdist"])
        versions.setdefault(name, []).append(package["version"])
        hashed[name] = hashed.get(name, 0) + sum(
            1 for f in files if str(f.get("hash", "")).startswith("sha256:")
        )
        sources[name] = next(iter(package.get("source", {"unknown": ""})), "unknown")
    return [Pin(n, tuple(v), sources[n], hashed[n]) for n, v in versions.items()]


def installed_version(name: str) -> str | None:
    """Version of an installed distribution, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def audit(path: Path, only: list[str] | None = None) -> list[Finding]:
    """Compare every (or only the selected) locked package with the environment."""
    wanted = {normalise(n) for n in only} if only else None
    return [
        Finding(pin, installed_version(pin.name))
        for pin in read_lock(path)
        if wanted is None or pin.name in wanted
    ]


def main(argv: list[str] | None = None) -> None:
    """Print the audit; exit 1 if any installed package differs from its pin."""
    parser = argparse.ArgumentParser(description="Audit the environment against uv.lock.")
    parser.add_argument("--lock", type=Path, default=DEFAULT_LOCK)
    parser.add_argument("--only", nargs="*", help="package names to check")
    args = parser.parse_args(argv)

    lock_hash = hashlib.sha256(args.lock.read_bytes()).hexdigest()
    findings = audit(args.lock, args.only)
    print(f"lockfile {args.lock.name} sha256 {lock_hash[:16]}... ({len(findings)} pins checked)")
    shown = findings if args.only else [f for f in findings if f.status != "ok"][:15]
    for finding in shown:
        pin = finding.pin
        print(
            f"  {pin.name:<26} locked {'|'.join(pin.versions):<14}"
            f" installed {finding.installed or '-':<10}"
            f" {finding.status:<6} ({pin.hashed_files} hashed files, source {pin.source})"
        )
    counts = {s: sum(f.status == s for f in findings) for s in ("ok", "drift", "absent")}
    print(f"summary: {counts}")
    if counts["drift"]:
        print("environment drifted from the lock: run `uv sync --locked` to repair it")
        sys.exit(1)


if __name__ == "__main__":
    main()
