"""Split a class into shards (one CI matrix or one Kubernetes Indexed Job each) and back."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from grader.errors import UsageError

T = TypeVar("T")
SHARD = re.compile(r"^(\d+)/(\d+)$")


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (1 <= K <= N) as a pair."""
    match = SHARD.match(text.strip())
    if not match:
        raise UsageError(f"--shard must look like K/N (e.g. 2/4), not {text!r}")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: K must be between 1 and N")
    return index, count


def select_shard(items: Sequence[T], index: int, count: int, key=str) -> list[T]:
    """The ``index``-th of ``count`` shards: items sorted by ``key``, dealt round-robin.

    Deterministic (depends only on the ids, not on the order they were given in), every item in
    exactly one shard, shard sizes differ by at most one.
    """
    ordered = sorted(items, key=key)
    return [item for position, item in enumerate(ordered) if position % count == index - 1]
