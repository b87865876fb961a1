"""Why instruction order in a Dockerfile matters: a toy model of the image build cache.

Stand-in, clearly labelled: the machines that test the course repository have no Docker engine
(your laptop may well have one), so this script imitates the rule Docker's builder uses to reuse layers. Each instruction's cache key is a hash of
the previous key plus the instruction text, plus, for COPY, the contents of the files it copies.
If a key is unchanged the layer is reused; once one key changes, every later key in that stage
changes too.

It parses the real `Dockerfile` next to this script, applies `.dockerignore` to a small fake
build context, and reports which steps rebuild after typical edits, for the good Dockerfile and
for a naive one that copies the whole project before installing dependencies.

Run: uv run python lectures/06_containers_and_orchestration/examples/layer_cache.py
"""

from __future__ import annotations

import fnmatch
import hashlib
import shlex
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
NAIVE_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
CMD ["uvicorn", "churn_service.app:app", "--host", "0.0.0.0"]
"""
BASE_CONTEXT: dict[str, bytes] = {
    "pyproject.toml": b'[project]\nname = "churn-service"\nversion = "1.2.0"\n',
    "uv.lock": b"fastapi==0.115.0\nonnxruntime==1.19.0\n",
    "churn_service/__init__.py": b"",
    "churn_service/app.py": b"app = make_app()\n",
    "models/churn.onnx": b"\x08\x07onnx-bytes",
    "notebooks/eda.ipynb": b'{"cells": []}',
    "tests/test_api.py": b"def test_health(): ...\n",
    ".git/HEAD": b"ref: refs/heads/main\n",
}


@dataclass(frozen=True)
class Step:
    """One Dockerfile instruction."""

    stage: str
    line: int
    keyword: str
    args: str

    def __str__(self) -> str:
        text = f"{self.keyword} {self.args}"
        return text if len(text) <= 60 else text[:57] + "..."


def parse_dockerfile(text: str) -> list[Step]:
    """Instructions with their stage names; handles comments and backslash continuations."""
    steps: list[Step] = []
    stage, pending, start = "", "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            stage = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else f"stage{start}"
        steps.append(Step(stage, start, keyword, " ".join(args.split())))
    return steps


def read_dockerignore(text: str) -> list[str]:
    """Non-comment patterns from a .dockerignore file."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def is_ignored(path: str, patterns: list[str]) -> bool:
    """Simplified .dockerignore matching: globs, `**/` prefixes and whole directories."""
    for pattern in patterns:
        bare = pattern.rstrip("/")
        candidates = [bare, bare.removeprefix("**/")]
        for candidate in candidates:
            if fnmatch.fnmatch(path, candidate) or path.startswith(candidate + "/"):
                return True
            if candidate != bare and fnmatch.fnmatch(path.rsplit("/", 1)[-1], candidate):
                return True
    return False


def build_context(files: dict[str, bytes], dockerignore: list[str]) -> dict[str, bytes]:
    """The files the builder would receive."""
    return {p: b for p, b in files.items() if not is_ignored(p, dockerignore)}


def copied_files(args: str, context: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """Files from the context that a `COPY src... dest` instruction reads."""
    tokens = [t for t in shlex.split(args) if not t.startswith("--")]
    sources = tokens[:-1]
    chosen = []
    for path, data in sorted(context.items()):
        for source in sources:
            prefix = source.rstrip("/")
            if source in (".", "./") or path == prefix or path.startswith(prefix + "/"):
                chosen.append((path, data))
                break
    return chosen


def cache_keys(steps: list[Step], context: dict[str, bytes]) -> list[str]:
    """One cache key per step, chained within each stage."""
    last_key_of_stage: dict[str, str] = {}
    keys: list[str] = []
    previous = ""
    for step in steps:
        digest = hashlib.sha256()
        if step.keyword == "FROM":
            image = step.args.split()[0]
            previous = last_key_of_stage.get(image, "")  # FROM an earlier stage builds on it
        digest.update(previous.encode())
        digest.update(f"{step.keyword} {step.args}".encode())
        if step.keyword in {"COPY", "ADD"}:
            from_flag = [t for t in step.args.split() if t.startswith("--from=")]
            if from_flag:
                source = from_flag[0].removeprefix("--from=")
                digest.update(last_key_of_stage.get(source, source).encode())
            else:
                for path, data in copied_files(step.args, context):
                    digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
        previous = digest.hexdigest()
        last_key_of_stage[step.stage] = previous
        keys.append(previous)
    return keys


def rebuilt_steps(dockerfile: str, ignore: list[str], before: dict[str, bytes],
                  after: dict[str, bytes]) -> list[Step]:  # fmt: skip
    """Steps whose cache key changes between two versions of the build context."""
    steps = parse_dockerfile(dockerfile)
    old = cache_keys(steps, build_context(before, ignore))
    new = cache_keys(steps, build_context(after, ignore))
    return [s for s, a, b in zip(steps, old, new, strict=True) if a != b]


def scenarios() -> dict[str, dict[str, bytes]]:
    """Typical edits to the project, each as a full new context."""
    return {
        "edit app code": BASE_CONTEXT | {"churn_service/app.py": b"app = make_app(debug=False)\n"},
        "add a dependency": BASE_CONTEXT | {"uv.lock": BASE_CONTEXT["uv.lock"] + b"httpx==0.27\n"},
        "retrain the model": BASE_CONTEXT | {"models/churn.onnx": b"\x08\x07new-onnx-bytes"},
        "edit a notebook": BASE_CONTEXT | {"notebooks/eda.ipynb": b'{"cells": [1]}'},
    }


def dependency_step(dockerfile: str) -> Step:
    """The first RUN that installs third-party packages: the expensive layer worth caching."""
    steps = parse_dockerfile(dockerfile)
    return next(
        s for s in steps if s.keyword == "RUN" and ("uv sync" in s.args or "pip install" in s.args)
    )


@dataclass(frozen=True)
class Outcome:
    """What one edit costs with one Dockerfile."""

    rebuilt: list[str]
    reinstalls_dependencies: bool


def compare() -> dict[str, dict[str, Outcome]]:
    """Per scenario: rebuilt steps for the course Dockerfile and for the naive one."""
    good = (HERE / "Dockerfile").read_text()
    ignore = read_dockerignore((HERE / ".dockerignore").read_text())
    variants = {
        "course Dockerfile + .dockerignore": (good, ignore),
        "naive Dockerfile, no .dockerignore": (NAIVE_DOCKERFILE, []),
    }
    result: dict[str, dict[str, Outcome]] = {}
    for label, (dockerfile, patterns) in variants.items():
        expensive = dependency_step(dockerfile)
        result[label] = {}
        for name, context in scenarios().items():
            steps = rebuilt_steps(dockerfile, patterns, BASE_CONTEXT, context)
            result[label][name] = Outcome([str(s) for s in steps], expensive in steps)
    return result


def main() -> None:
    """Print which layers each edit invalidates."""
    ignore = read_dockerignore((HERE / ".dockerignore").read_text())
    context = build_context(BASE_CONTEXT, ignore)
    print(f"build context after .dockerignore: {sorted(context)}")
    print(f"dependency layer: {dependency_step((HERE / 'Dockerfile').read_text())}")
    for label, per_scenario in compare().items():
        print(f"\n{label}")
        for scenario, outcome in per_scenario.items():
            verdict = "REINSTALLED" if outcome.reinstalls_dependencies else "cached"
            print(
                f"  {scenario:<18} {len(outcome.rebuilt):>2} steps rebuilt, dependencies {verdict}"
            )
            for step in outcome.rebuilt[:3]:
                print(f"      {step}")
            if len(outcome.rebuilt) > 3:
                print(f"      ... and {len(outcome.rebuilt) - 3} more")


if __name__ == "__main__":
    main()
