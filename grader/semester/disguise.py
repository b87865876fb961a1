"""Disguise a copy the way students do: rename variables and functions, reorder the functions.

Used to plant a copied pair in a simulated class; the similarity check must still flag it.
``ast.unparse`` also drops comments and normalises formatting, as a copier's reformatting would.
"""

from __future__ import annotations

import ast
import builtins
import random
from pathlib import Path

KEEP = set(dir(builtins)) | {"self", "cls", "app", "main", "__name__", "__all__"}


class _Renamer(ast.NodeTransformer):
    """Rename every module-local name the file itself defines (not imports, not attributes)."""

    def __init__(self, defined: set[str], suffix: str) -> None:
        self.mapping = {name: f"{name}{suffix}" for name in defined if name not in KEEP}

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        """Methods are renamed inside; the class body's own names (fields, settings) are not."""
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self.visit(statement)
        return node


def _local_names(tree: ast.Module) -> set[str]:
    """Names that are local to functions: assigned in a function body, or parameters of private
    functions (public parameters can be passed by keyword from elsewhere); plus private functions
    that are not methods.

    Class bodies are left alone: their names are fields and settings other code reads by name.
    """
    names: set[str] = set()
    # Methods are called as attributes (``self._check()``, ``__init__`` by Python): their names stay.
    methods = {
        id(statement)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for statement in node.body
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        dunder = function.name.startswith("__") and function.name.endswith("__")
        if function.name.startswith("_") and not dunder:  # ``__init__(max_bytes=...)`` is public
            if id(function) not in methods:
                names.add(function.name)
            names.update(a.arg for a in function.args.args + function.args.kwonlyargs)
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg:
            names.discard(node.arg)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.difference_update(node.names)
    return {name for name in names if name not in ("self", "cls") and not name[:1].isupper()}


def _function_runs(body: list[ast.stmt]) -> list[list[int]]:
    """Indices of the maximal runs of consecutive top-level functions in ``body``."""
    runs: list[list[int]] = [[]]
    for index, node in enumerate(body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            runs[-1].append(index)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def disguise_file(path: Path, rng: random.Random, suffix: str = "_x") -> None:
    """Rewrite one Python file: local names renamed, top-level functions shuffled.

    Functions move only within a run of consecutive definitions: a module-level statement between
    them (``_to_int = BeforeValidator(_parse)``) may use the ones above it, so none crosses it.
    """
    tree = ast.parse(path.read_text())
    tree = _Renamer(_local_names(tree), suffix).visit(tree)
    for run in _function_runs(tree.body):
        shuffled = [tree.body[i] for i in run]
        rng.shuffle(shuffled)
        for slot, node in zip(run, shuffled, strict=True):
            tree.body[slot] = node
    path.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n")


def disguise_tree(root: Path, seed: int, packages: tuple[str, ...] = ("app",)) -> list[Path]:
    """Disguise every Python file under ``root/<package>``; the files changed, in order."""
    rng = random.Random(seed)
    changed = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            disguise_file(path, rng)
            changed.append(path)
    return changed
