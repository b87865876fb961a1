"""The metric names a PromQL expression selects, read without a PromQL parser.

Strings, label matchers, range and subquery brackets, grouping clauses and function calls are
set aside; what is left that looks like an identifier and is not a PromQL keyword is a metric
name. ``{__name__="x"}`` selectors count as ``x``. What ``absent(...)`` or ``absent_over_time(...)``
ask about is listed apart: an alert may ask whether a series is missing, that is its point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = frozenset(
    {
        # aggregation operators and their modifiers
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
        "bottomk", "topk", "quantile", "by", "without",
        # binary operators and matching
        "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "bool", "atan2",
        # modifiers and literals
        "offset", "start", "end", "inf", "nan", "Inf", "NaN",
    }
)  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_NAME_MATCHER = re.compile(r'__name__\s*=\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"')
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
_ABSENT = re.compile(r"\babsent(?:_over_time)?\s*\(")
_COMMENT = re.compile(r"#[^\n]*")


@dataclass(frozen=True)
class Names:
    """What an expression names: ``selected`` series, and the ones only asked to be ``absent``."""

    selected: frozenset[str]
    absent: frozenset[str]


def _balanced_end(text: str, open_at: int) -> int:
    """Index just past the parenthesis that closes the one at ``open_at``."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _plain_names(expr: str) -> set[str]:
    names = set(_NAME_MATCHER.findall(expr))
    bare = _STRING.sub('""', expr)
    bare = _MATCHERS.sub(" ", bare)
    bare = _BRACKETS.sub(" ", bare)
    bare = _GROUPING.sub(" ", bare)
    for token in _IDENTIFIER.findall(bare):
        if token not in KEYWORDS:
            names.add(token)
    return names


def metric_names(expr: str) -> Names:
    """The metric names ``expr`` selects, with those inside ``absent(...)`` apart."""
    text = _COMMENT.sub(
        " ", _STRING.sub(lambda m: m.group(0).replace("(", " ").replace(")", " "), expr)
    )
    absent: set[str] = set()
    while match := _ABSENT.search(text):
        end = _balanced_end(text, match.end() - 1)
        absent |= _plain_names(text[match.end() : end - 1])
        text = text[: match.start()] + " " + text[end:]
    return Names(frozenset(_plain_names(text)), frozenset(absent))
