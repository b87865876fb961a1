"""Generate mutants of the declared application code by parsing it (never importing it).

Each operator mirrors a misconception the course sees in real submissions, and has a name the
student's feedback uses. A mutant is one textual edit of one file, located through the syntax tree
(line and column), so the rest of the file keeps its formatting. *Null* mutants change the source
but no behaviour: a suite that fails on one reacts to the text of the code (a hash, a line count),
not to what it does, and earns no test-quality points.

Operators:

- ``status_code``: an HTTP status literal changed (422 → 400, 404 → 500, 201 → 200, ...);
- ``bound_off_by_one``: an integer bound moved by one (in a comparison, or a ``ge``/``le``/``gt``/
  ``lt``/``min_length``/``max_length`` argument);
- ``threshold_moved``: a probability-like float constant (strictly between 0 and 1) moved by 0.1;
- ``constraint_dropped``: a validation keyword (``ge``, ``le``, ``gt``, ``lt``, ``min_length``,
  ``max_length``, ``pattern``) removed from a call, or ``extra="forbid"`` relaxed to ``"ignore"``;
- ``exception_swallowed``: a ``raise`` statement replaced by ``pass``;
- ``comparison_flipped``: ``<``/``<=``, ``>``/``>=``, ``==``/``!=`` swapped;
- ``boolean_flipped``: ``True``/``False`` swapped;
- ``arithmetic_changed``: ``+``/``-`` or ``*``/``/`` swapped.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass
from pathlib import Path

MISCONCEPTIONS = {
    "status_code": "a status code changed",
    "bound_off_by_one": "a bound off by one",
    "threshold_moved": "a threshold moved",
    "constraint_dropped": "a validation constraint dropped",
    "exception_swallowed": "an exception swallowed",
    "comparison_flipped": "a comparison flipped",
    "boolean_flipped": "a boolean flipped",
    "arithmetic_changed": "an arithmetic operator changed",
    "null": "a change of text only (no behaviour)",
}
STATUS_SWAPS = {
    200: 201,
    201: 200,
    204: 200,
    400: 422,
    404: 500,
    409: 400,
    413: 400,
    422: 400,
    503: 500,
}
BOUND_KEYWORDS = {"ge", "le", "gt", "lt", "min_length", "max_length"}
CONSTRAINT_KEYWORDS = BOUND_KEYWORDS | {"pattern"}
COMPARISON_SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
ARITHMETIC_SWAPS = {ast.Add: "-", ast.Sub: "+", ast.Mult: "/", ast.Div: "*"}


@dataclass(frozen=True)
class Mutant:
    """One edit: replace ``source[start:end]`` of ``path`` (character offsets) with ``text``."""

    path: str
    operator: str
    line: int
    start: int
    end: int
    text: str
    original: str

    @property
    def null(self) -> bool:
        """Changes the text of the code, not what it does."""
        return self.operator == "null"

    def describe(self) -> str:
        """``app/x.py:12: 422 -> 400``."""
        before = self.original.strip() or "(nothing)"
        after = self.text.strip() or "(removed)"
        return f"{self.path}:{self.line}: {before[:60]} -> {after[:60]}"

    def apply(self, source: str) -> str:
        """The mutated source."""
        return source[: self.start] + self.text + source[self.end :]


def _offsets(source: str) -> list[int]:
    """Character offset of the start of every line (1-based line numbers index it)."""
    starts = [0, 0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


class _Finder(ast.NodeVisitor):
    """Walks one module and yields the mutants its operators allow."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.lines = _offsets(source)
        self.found: list[Mutant] = []

    def _span(self, node: ast.AST) -> tuple[int, int]:
        start = self.lines[node.lineno] + node.col_offset  # type: ignore[attr-defined]
        end = self.lines[node.end_lineno] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def _add(
        self, operator: str, node: ast.AST, text: str, span: tuple[int, int] | None = None
    ) -> None:
        start, end = span or self._span(node)
        self.found.append(
            Mutant(self.path, operator, node.lineno, start, end, text, self.source[start:end])  # type: ignore[attr-defined]
        )

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._add("boolean_flipped", node, str(not value))
        elif isinstance(value, int) and value in STATUS_SWAPS:
            self._add("status_code", node, str(STATUS_SWAPS[value]))
        elif isinstance(value, float) and 0.0 < value < 1.0:
            moved = value + 0.1 if value <= 0.5 else value - 0.1
            self._add("threshold_moved", node, repr(round(moved, 6)))

    def visit_Slice(self, node: ast.Slice) -> None:
        # A number bounding a slice (``text[:200]``) is a length, not a status code.
        for part in (node.lower, node.upper, node.step):
            if part is not None and not isinstance(part, ast.Constant):
                self.visit(part)

    def visit_Compare(self, node: ast.Compare) -> None:
        for operand in (node.left, *node.comparators):
            is_int = isinstance(operand, ast.Constant) and type(operand.value) is int
            if is_int and operand.value not in STATUS_SWAPS:  # type: ignore[union-attr]
                self._add("bound_off_by_one", operand, str(operand.value + 1))  # type: ignore[union-attr]
        if len(node.ops) == 1:
            symbol = self.source[self._span(node.left)[1] : self._span(node.comparators[0])[0]]
            stripped = symbol.strip()
            if stripped in COMPARISON_SWAPS:
                left_end = self._span(node.left)[1]
                right_start = self._span(node.comparators[0])[0]
                self._add(
                    "comparison_flipped",
                    node,
                    symbol.replace(stripped, COMPARISON_SWAPS[stripped]),
                    (left_end, right_start),
                )
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = ARITHMETIC_SWAPS.get(type(node.op))
        if swap:
            left_end, right_start = self._span(node.left)[1], self._span(node.right)[0]
            symbol = self.source[left_end:right_start]
            original = {"-": "+", "+": "-", "/": "*", "*": "/"}[swap]
            if symbol.strip() == original:
                self._add(
                    "arithmetic_changed",
                    node,
                    symbol.replace(original, swap),
                    (left_end, right_start),
                )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        for keyword in node.keywords:
            if keyword.arg in CONSTRAINT_KEYWORDS:
                start, end = self._span(keyword)
                # Remove the keyword and one adjacent comma.
                after = self.source[end:].lstrip(" ")
                if after.startswith(","):
                    end = len(self.source) - len(after[1:].lstrip(" "))
                else:
                    before = self.source[:start].rstrip(" \n")
                    if before.endswith(","):
                        start = len(before) - 1
                self._add("constraint_dropped", keyword, "", (start, end))
                value = keyword.value
                if (
                    keyword.arg in BOUND_KEYWORDS
                    and isinstance(value, ast.Constant)
                    and type(value.value) is int
                ):
                    self._add("bound_off_by_one", value, str(value.value + 1))
            elif (
                keyword.arg == "extra"
                and isinstance(keyword.value, ast.Constant)
                and keyword.value.value == "forbid"
            ):
                self._add("constraint_dropped", keyword.value, '"ignore"')
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._add("exception_swallowed", node, "pass")
        self.generic_visit(node)


def find_mutants(root: Path, app_paths: tuple[str, ...]) -> tuple[list[Mutant], list[Mutant]]:
    """(mutants, null mutants) of every Python file under the declared application paths."""
    files: list[Path] = []
    for item in app_paths:
        target = root / item
        files += [target] if target.is_file() else sorted(target.rglob("*.py"))
    mutants: list[Mutant] = []
    nulls: list[Mutant] = []
    for file in files:
        if file.is_symlink() or file.suffix != ".py":
            continue
        relative = str(file.relative_to(root))
        try:
            source = file.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        finder = _Finder(relative, source)
        finder.visit(tree)
        mutants += finder.found
        end = len(source)
        ending = "" if source.endswith("\n") or not source else "\n"
        nulls.append(
            Mutant(
                relative,
                "null",
                source.count("\n") + 1,
                end,
                end,
                f"{ending}_grader_null_mutant = None\n",
                "",
            )
        )
    return mutants, nulls


def sample(
    mutants: list[Mutant], nulls: list[Mutant], seed: int, count: int, null_count: int
) -> list[Mutant]:
    """A fixed sample for this seed: operators taken in turn (misconceptions first), nulls mixed in."""
    rng = random.Random(seed)
    by_operator: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_operator.setdefault(mutant.operator, []).append(mutant)
    for group in by_operator.values():
        rng.shuffle(group)
    order = [op for op in MISCONCEPTIONS if op in by_operator]
    chosen: list[Mutant] = []
    while len(chosen) < count and any(by_operator[op] for op in order):
        for op in order:
            if by_operator[op] and len(chosen) < count:
                chosen.append(by_operator[op].pop())
    chosen += rng.sample(nulls, min(null_count, len(nulls)))
    rng.shuffle(chosen)
    return chosen
