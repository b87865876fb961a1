"""Every planted bug of a repository against its own suite: which ones survive (an authoring tool).

Run: ``uv run python -m grader.mutation.census homework/hw1_api/solution [--jobs 2]``. For course
authors writing a reference suite (which must catch the planted bugs the grader samples): it
enumerates *all* mutants of the declared app code, runs the repository's own tests against each
(in a temporary copy, with the repository's own environment via ``uv run``, no sandbox: this is
trusted code) and prints the survivors by misconception. Exit code 0 when the kill share reaches
``--floor``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.mutation.mutants import MISCONCEPTIONS, Mutant, find_mutants
from grader.submission import read_commands


def _run(copy: Path, mutant: Mutant, original: str, timeout: float) -> bool:
    """True if the suite fails (kills the mutant)."""
    path = copy / mutant.path
    path.write_text(mutant.apply(original))
    try:
        done = subprocess.run(
            ["uv", "run", "--frozen", "-q", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "--ignore=tests/public"],
            cwd=copy, capture_output=True, timeout=timeout,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
        return done.returncode != 0
    except subprocess.TimeoutExpired:
        return True
    finally:
        path.write_text(original)


def main(argv: list[str] | None = None) -> int:
    """Print the survivors; exit 1 below ``--floor``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repository", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--floor", type=float, default=0.9)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    app = read_commands(args.repository).app
    if not app:
        print("the repository declares no [tool.mlops-course] app", file=sys.stderr)
        return 2
    mutants, _ = find_mutants(args.repository, app)
    with tempfile.TemporaryDirectory(prefix="census-") as tmp:
        copies = []
        for i in range(args.jobs):
            copy = Path(tmp) / f"copy{i}"
            shutil.copytree(
                args.repository, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__")
            )
            subprocess.run(["uv", "sync", "--frozen", "-q"], cwd=copy, check=True)
            copies.append(copy)
        chunks = [mutants[i :: args.jobs] for i in range(args.jobs)]

        def work(index: int) -> list[tuple[Mutant, bool]]:
            copy = copies[index]
            return [
                (m, _run(copy, m, (copy / m.path).read_text(), args.timeout)) for m in chunks[index]
            ]

        with ThreadPoolExecutor(args.jobs) as pool:
            results = [r for part in pool.map(work, range(args.jobs)) for r in part]
    survivors = [m for m, killed in results if not killed]
    share = 1 - len(survivors) / len(results) if results else 0.0
    print(f"{len(results) - len(survivors)} of {len(results)} planted bugs caught ({share:.0%})")
    for operator, name in MISCONCEPTIONS.items():
        missed = [m for m in survivors if m.operator == operator]
        if missed:
            print(f"\n{name} ({len(missed)}):")
            for m in missed:
                print(f"  {m.describe()}")
    return 0 if share >= args.floor else 1


if __name__ == "__main__":
    raise SystemExit(main())
