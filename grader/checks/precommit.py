"""``delivery.precommit``: the pre-commit configuration, validated statically and read for its hooks.

pre-commit's own schema (what ``pre-commit validate-config`` applies) checks a private copy of the
file in-process: no hook repository is fetched and no hook runs (the grading machine has no
network for that; running them is the student's CI's job).
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.checks.workflow import YamlProblem, as_text, load_yaml, read_text_file

MAX_ALIASES = 50


@dataclass
class PrecommitOutcome:
    """The check's fraction and feedback, and the required hooks found (by policy id)."""

    fraction: float
    feedback: str
    hooks: set[str] = field(default_factory=set)


def _normalise_repo(url: str) -> str:
    return url.strip().lower().removesuffix("/").removesuffix(".git")


def hooks_present(config: Any, required: list[dict[str, Any]]) -> set[str]:
    """The policy ids of the required hooks the parsed configuration holds."""
    found: set[str] = set()
    repos = config.get("repos") if isinstance(config, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        if not isinstance(repo, dict) or not isinstance(repo.get("hooks"), list):
            continue
        url = _normalise_repo(as_text(repo.get("repo")))
        for hook in repo["hooks"]:
            if not isinstance(hook, dict):
                continue
            stages = hook.get("stages")
            if isinstance(stages, list) and stages and set(map(str, stages)) <= {"manual"}:
                continue
            for rule in required:
                if url in {_normalise_repo(r) for r in rule["repos"]}:
                    if hook.get("id") in rule["hook_ids"]:
                        found.add(rule["id"])
                elif (
                    url == "local"
                    and rule.get("local_entry")
                    and re.search(rule["local_entry"], as_text(hook.get("entry")))
                ):
                    found.add(rule["id"])
    return found


class _ThreadWarnings(logging.Handler):
    """pre-commit's warnings logged by this thread (other grading jobs may run beside it)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def validate(name: str, text: str) -> tuple[str | None, list[str]]:
    """What ``pre-commit validate-config`` says about ``text``, run in-process on a private copy:
    (the error, None when valid; its warnings, such as a mutable ``rev``, which do not fail)."""
    from pre_commit.clientlib import InvalidConfigError, load_config

    logger = logging.getLogger("pre_commit")
    warnings = _ThreadWarnings()
    logger.addHandler(warnings)
    try:
        with tempfile.TemporaryDirectory(prefix="grader-precommit-") as tmp:
            copy = Path(tmp) / name
            copy.write_text(text)
            try:
                load_config(str(copy))
            except InvalidConfigError as exc:
                return str(exc).replace(str(copy), name)[-2000:], warnings.messages
    finally:
        logger.removeHandler(warnings)
    return None, [w.replace(str(copy), name)[:500] for w in warnings.messages]


def check_precommit(src: Path, settings: dict[str, Any]) -> PrecommitOutcome:
    """Validate ``.pre-commit-config.yaml`` with pre-commit's schema, then look for the hooks."""
    name = settings["file"]
    required = settings["hooks"]
    wanted = "\n".join(f"- {hook['text']}" for hook in required)
    path = src / name
    if not path.exists() and not path.is_symlink():
        return PrecommitOutcome(
            0.0, f"no `{name}` at the repository's root. It should hold:\n{wanted}"
        )
    try:
        text = read_text_file(path, int(settings["max_bytes"]))
        config = load_yaml(text, MAX_ALIASES)
    except YamlProblem as exc:
        return PrecommitOutcome(0.0, f"`{name}` {exc}")
    problem, warnings = validate(name, text)
    if problem:
        return PrecommitOutcome(
            0.0,
            f"`{name}` is not a valid pre-commit configuration:\n{problem}\n"
            "Check it with `pre-commit validate-config`.",
        )
    hooks = hooks_present(config, required)
    missing = [hook for hook in required if hook["id"] not in hooks]
    fraction = (len(required) - len(missing)) / len(required)
    notes = "".join(f"\npre-commit warns (no points lost): {w}" for w in warnings[:5])
    if not missing:
        return PrecommitOutcome(1.0, f"`{name}` is valid and has every required hook{notes}", hooks)
    lines = "\n".join(f"- {hook['text']}" for hook in missing)
    return PrecommitOutcome(
        fraction, f"`{name}` is valid but these hooks are missing:\n{lines}{notes}", hooks
    )
