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
    functions (public parameters can be passed by keyword from elsewhere); plus private functions.

    Class bodies are left alone: their names are fields and settings other code reads by name.
    """
    names: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name.startswith("_"):
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


def disguise_file(path: Path, rng: random.Random, suffix: str = "_x") -> None:
    """Rewrite one Python file: local names renamed, top-level functions shuffled."""
    tree = ast.parse(path.read_text())
    tree = _Renamer(_local_names(tree), suffix).visit(tree)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(functions) > 1:
        slots = [i for i, n in enumerate(tree.body) if n in functions]
        shuffled = functions[:]
        rng.shuffle(shuffled)
        for slot, node in zip(slots, shuffled, strict=True):
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
