"""Matching policy patterns against a submission's text: line by line, each line cut short.

Every pattern of the delivery policy is matched per line, and lines are cut at ``MAX_LINE``: a
hostile file's very long line cannot make a scan quadratic in the file's size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MAX_LINE = 2000


def compile_all(patterns: list[str]) -> list[re.Pattern[str]]:
    """The policy's patterns, compiled (``^`` and ``$`` match at line ends)."""
    return [re.compile(p, re.MULTILINE) for p in patterns]


def lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each cut at ``MAX_LINE``."""
    for line in text.splitlines():
        yield line[:MAX_LINE]


def search(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    """The first match of any pattern in any line of ``text``."""
    for line in lines(text):
        for pattern in patterns:
            match = pattern.search(line)
            if match:
                return match
    return None


def scalars(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, scalar) of a YAML tree: ``key`` is the mapping key holding the scalar."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(item, dict | list):
                yield from scalars(item, child)
            else:
                yield child, str(key), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            child = f"{path}[{index + 1}]"
            if isinstance(item, dict | list):
                yield from scalars(item, child)
            else:
                yield child, "", item


def is_literal(value: Any) -> bool:
    """A value written in the file (not an expression, a variable or empty)."""
    if isinstance(value, bool) or value is None:
        return False
    text = str(value).strip()
    return bool(text) and "${{" not in text and not text.startswith("$")
