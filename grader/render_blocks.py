"""Keep generated blocks in Markdown files (homework specs, docs) in sync with their single sources.

A block looks like::

    <!-- BEGIN GENERATED: rubric hw1 -->
    ...generated Markdown...
    <!-- END GENERATED: rubric hw1 -->

``rubric HW`` renders the rubric table, ``contract HW`` the contract tables, ``observability HW``
the metric, log and alert names of a contract (hw3 on), ``delivery HW`` the CI/CD and pre-commit
policy with that homework's coverage floor.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from grader.contracts import (
    load_contract,
    render_contract_markdown,
    render_observability_markdown,
)
from grader.rubric import load_rubric, render_rubric_markdown

BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<kind>\w+) (?P<arg>[\w-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=kind) (?P=arg) -->)",
    re.DOTALL,
)

RENDERERS: dict[str, Callable[[str], str]] = {
    "rubric": lambda hw: render_rubric_markdown(load_rubric(hw)),
    "contract": lambda hw: render_contract_markdown(load_contract(hw)),
    "observability": lambda hw: render_observability_markdown(load_contract(hw)),
    "delivery": lambda hw: _delivery(hw),
}


def _delivery(homework: str) -> str:
    from grader.checks.delivery_policy import render_delivery_policy_markdown

    return render_delivery_policy_markdown(load_rubric(homework).thresholds.get("coverage_floor"))


def update_generated_blocks(text: str) -> str:
    """Return ``text`` with every generated block re-rendered from its source."""

    def replace(match: re.Match[str]) -> str:
        body = RENDERERS[match["kind"]](match["arg"])
        return f"{match.group(1)}{body}{match.group(5)}"

    return BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    """``python -m grader.render_blocks [--check] [FILES]``: rewrite (or verify) generated blocks."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Re-render generated Markdown blocks.")
    parser.add_argument("--check", action="store_true", help="fail if any file is out of date")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    files = args.files or sorted(root.glob("homework/*/README.md"))
    stale = []
    for path in files:
        text = path.read_text()
        fresh = update_generated_blocks(text)
        if fresh != text:
            stale.append(path)
            if not args.check:
                path.write_text(fresh)
    if stale and args.check:
        print(
            "out of date (run `uv run python -m grader.render_blocks`): "
            + ", ".join(map(str, stale))
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
