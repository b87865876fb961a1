"""What a simulated student did to their base: each variation is one function over a repository.

The registry maps the roster's ``variation`` names to functions ``(repo, base, homework, rng)``;
where a change goes in the code (which handler sleeps, which route is removed) comes from the
base's declaration in ``class.toml``, never from code that knows a framework.
"""

from __future__ import annotations

import ast
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from grader.semester.roster import Base, Homework, Location

Variation = Callable[[Path, Base | None, Homework, random.Random], str]


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The first function called ``name`` anywhere in the module (nested handlers included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise LookupError(f"no function {name!r}")


def _locate(
    repo: Path, where: Location
) -> tuple[Path, list[str], ast.FunctionDef | ast.AsyncFunctionDef]:
    path = repo / where.file
    text = path.read_text()
    try:
        return path, text.splitlines(keepends=True), _function(ast.parse(text), where.function)
    except LookupError as exc:
        raise LookupError(f"{where.file}: {exc}") from exc


def complete(repo: Path, base: Base | None, homework: Homework, rng: random.Random) -> str:
    """The base as it is."""
    return "the base unchanged"


def partial(repo: Path, base: Base | None, homework: Homework, rng: random.Random) -> str:
    """The batch endpoint removed: its decorators and body, and every other line of the file that
    names it (a route table entry such as ``Route("/predict/batch", predict_batch)``), so the
    service still starts and simply has no batch route: an unfinished homework."""
    assert base is not None and base.batch is not None
    path, lines, node = _locate(repo, base.batch)
    first = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
    assert node.end_lineno is not None
    del lines[first : node.end_lineno]
    name = re.compile(rf"\b{re.escape(base.batch.function)}\b")
    kept = [line for line in lines if not name.search(line)]
    path.write_text("".join(kept))
    ast.parse(path.read_text())  # still Python
    extra = len(lines) - len(kept)
    return f"removed {base.batch.function} from {base.batch.file}" + (
        f" and {extra} line(s) registering it" if extra else ""
    )


def slow(repo: Path, base: Base | None, homework: Homework, rng: random.Random) -> str:
    """A blocking sleep at the top of the predict handler (what a synchronous call would cost)."""
    assert base is not None and base.predict is not None
    path, lines, node = _locate(repo, base.predict)
    body = node.body
    first = (
        body[1]
        if len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        else body[0]
    )
    indent = " " * first.col_offset
    sleep = f'{indent}__import__("time").sleep({homework.slow_seconds})  # simulated slow work\n'
    lines.insert(first.lineno - 1, sleep)
    path.write_text("".join(lines))
    return f"sleep {homework.slow_seconds} s in {base.predict.function} ({base.predict.file})"


def broken_tests(repo: Path, base: Base | None, homework: Homework, rng: random.Random) -> str:
    """A test that always fails added to the student's own suite."""
    tests = repo / (base.tests if base else "tests")
    tests.mkdir(exist_ok=True)
    (tests / "test_wip.py").write_text(
        '"""Work in progress."""\n\n\ndef test_not_done_yet() -> None:\n'
        '    assert 1 + 1 == 3, "still to do"\n'
    )
    return "added tests/test_wip.py with a failing test"


def missing_files(repo: Path, base: Base | None, homework: Homework, rng: random.Random) -> str:
    """The README and the student's own tests left out of the repository."""
    assert base is not None
    (repo / base.readme).unlink(missing_ok=True)
    tests = repo / base.tests
    for child in list(tests.iterdir()) if tests.is_dir() else []:
        if child.name == "public":
            continue
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    return f"removed {base.readme} and the own tests under {base.tests}/"


STARTER_EDITS = [
    "GREETING = {value!r}\n",
    "RETRY_LIMIT = {number}\n",
    "def describe() -> str:\n    return {value!r}\n",
    "SERVICE_OWNER = {value!r}\n",
]


def starter_edits(repo: Path, base: Base | None, homework: Homework, rng: random.Random) -> str:
    """The starter with two small edits of the student's own (nothing else implemented)."""
    targets = sorted((repo / "app").rglob("*.py")) if (repo / "app").is_dir() else []
    if not targets:
        return "the starter unchanged"
    done = []
    for template in rng.sample(STARTER_EDITS, 2):
        target = rng.choice(targets)
        text = template.format(value=f"note-{rng.randrange(10**6)}", number=rng.randrange(2, 9))
        with target.open("a") as handle:
            handle.write("\n\n" + text)
        done.append(target.relative_to(repo).as_posix())
    return "two small edits in " + ", ".join(done)


VARIATIONS: dict[str, Variation] = {
    "complete": complete,
    "partial": partial,
    "slow": slow,
    "broken_tests": broken_tests,
    "missing_files": missing_files,
    "starter_edits": starter_edits,
}
