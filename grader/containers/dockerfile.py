"""Static checks of a Dockerfile: hadolint, then the course's rules (grader/policy/containers.toml)."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.containers.policy import load_container_policy, rule_text

LEVELS = ("style", "info", "warning", "error")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined, with the stage it belongs to."""

    keyword: str
    args: str
    line: int
    stage: int


def parse(text: str) -> list[Instruction]:
    """Instructions in order (comments and parser directives dropped, ``\\`` continuations joined)."""
    instructions: list[Instruction] = []
    stage, buffer, start = -1, "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), start, max(stage, 0)))
        buffer = ""
    return instructions


def image_reference(reference: str) -> str:
    """A short image name expanded as Docker and podman do (``python:3.11-slim`` → docker.io/library/…)."""
    name = reference
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return name


def untagged_or_latest(reference: str) -> bool:
    """``True`` for ``name`` or ``name:latest`` (a digest pin counts as pinned)."""
    if "@" in reference:
        return False
    last = reference.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _from_parts(args: str) -> tuple[str, str | None]:
    words = [w for w in args.split() if not w.startswith("--")]
    alias = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    return words[0], alias


def course_rule_problems(dockerfile: Path) -> list[str]:
    """Every course rule the Dockerfile breaks, one line each (rule id: what is wrong)."""
    policy = load_container_policy()
    rules = policy["dockerfile"]
    instructions = parse(dockerfile.read_text(errors="replace"))
    problems: list[str] = []

    def broken(rule: str, detail: str) -> None:
        problems.append(f"{rule}: {detail} (rule: {rule_text('dockerfile', rule)})")

    froms = [i for i in instructions if i.keyword == "FROM"]
    if not froms:
        return ["no FROM instruction: this is not a Dockerfile"]
    last = froms[-1].stage
    if len(froms) < 2:
        broken("multi_stage", "a single stage")
    aliases: set[str] = set()
    allowed = set(policy["base_images"]["allowed"])
    references = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            reference, alias = _from_parts(instruction.args)
            if reference.lower() not in aliases:
                references.append((instruction.line, reference))
                if image_reference(reference) not in allowed:
                    broken("allowed_base", f"line {instruction.line}: FROM {reference}")
            if alias:
                aliases.add(alias)
        elif instruction.keyword == "COPY":
            source = re.search(r"--from=(\S+)", instruction.args)
            if source and source.group(1).lower() not in aliases:
                references.append((instruction.line, source.group(1)))
                if image_reference(source.group(1)) not in allowed:
                    broken(
                        "allowed_base", f"line {instruction.line}: COPY --from={source.group(1)}"
                    )
    for line, reference in references:
        if untagged_or_latest(reference):
            broken("no_latest", f"line {line}: {reference}")
    final = [i for i in instructions if i.stage == last]
    users = [i for i in final if i.keyword == "USER"]
    if not users:
        broken("numeric_user", "the final stage has no USER: the image runs as root")
    else:
        user = users[-1].args.split(":")[0]
        if not user.isdigit():
            broken("numeric_user", f"line {users[-1].line}: USER {users[-1].args} is not numeric")
        elif int(user) == 0:
            broken("numeric_user", f"line {users[-1].line}: USER {users[-1].args} is root")
    checks = [i for i in final if i.keyword == "HEALTHCHECK"]
    if not checks or checks[-1].args.upper().startswith("NONE"):
        broken("healthcheck", "the final stage has no HEALTHCHECK")
    words = [w.upper() for w in rules["secret_words"]]
    for instruction in instructions:
        if instruction.keyword not in ("ENV", "ARG"):
            continue
        for name, value in _assignments(instruction.args):
            if value and any(w in name.upper() for w in words):
                broken(
                    "no_secrets",
                    f"line {instruction.line}: {instruction.keyword} {name} has a value",
                )
            if value and re.search(r"://[^/\s:@]+:[^@\s$]+@", value):
                broken("no_secrets", f"line {instruction.line}: {name} holds a URL with a password")
    ignore_file = dockerfile.parent / ".dockerignore"
    if not ignore_file.is_file():
        broken("dockerignore", "no .dockerignore next to the Dockerfile")
    else:
        patterns = [
            line.strip().rstrip("/").removeprefix("/")
            for line in ignore_file.read_text(errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "!"))
        ]
        missing = [
            name
            for name in rules["dockerignore_must_exclude"]
            if not any(fnmatch.fnmatch(name, p) or p in (f"**/{name}", name) for p in patterns)
        ]
        if missing:
            broken("dockerignore", f".dockerignore does not exclude {missing}")
    problems += _dependency_order(instructions, rules["dependency_files"], broken)
    return problems


def _assignments(args: str) -> list[tuple[str, str]]:
    """``NAME=value`` pairs of an ENV/ARG (also the legacy ``ENV NAME value`` form)."""
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words]


def _dependency_order(instructions: list[Instruction], files: list[str], broken) -> list[str]:  # type: ignore[no-untyped-def]
    """The lockfile must be copied, and something RUN, before the first COPY of anything else."""
    copies = [i for i in instructions if i.keyword in ("COPY", "ADD") and "--from=" not in i.args]
    first_lock = next((n for n, i in enumerate(copies) if "uv.lock" in i.args), None)
    if first_lock is None:
        broken("dependencies_first", "uv.lock is never copied into the image")
        return []
    lock = copies[first_lock]
    for earlier in copies[:first_lock]:
        sources = [w for w in earlier.args.split()[:-1] if not w.startswith("--")]
        if any(s not in files and s.rstrip("/") != "README.md" for s in sources):
            broken("dependencies_first", f"line {earlier.line}: code is copied before uv.lock")
            return []
    runs = [i for i in instructions if i.keyword == "RUN" and i.line > lock.line]
    later = list(copies[first_lock + 1 :])
    if not runs or (later and runs[0].line > later[0].line):
        broken(
            "dependencies_first",
            f"line {lock.line}: dependencies are not installed before the code is copied",
        )
    return []


def hadolint_findings(dockerfile: Path) -> tuple[list[str], str | None]:
    """hadolint's findings at or above the policy's threshold, as lines; or (``[]``, why it did not run)."""
    binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(binary).exists():
        return [], "hadolint is not installed on the grader"
    result = subprocess.run(
        [binary, "--no-fail", "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return [], f"hadolint: {result.stderr.strip()[:200]}"
    threshold = LEVELS.index(load_container_policy()["dockerfile"]["hadolint_threshold"])
    return [
        f"hadolint {f['code']} (line {f['line']}, {f['level']}): {f['message']}"
        for f in findings
        if f.get("level") in LEVELS and LEVELS.index(f["level"]) >= threshold
    ], None
