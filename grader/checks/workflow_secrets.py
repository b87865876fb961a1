"""The no-inline-secrets rule: credentials written into a workflow, in every form the policy names."""

from __future__ import annotations

import re
from typing import Any

from grader.checks.policy_text import compile_all, is_literal, lines, scalars, search
from grader.checks.workflow import Workflow, as_text


def inline_secret_problems(workflows: list[Workflow], secrets: dict[str, Any]) -> list[str]:
    """Each literal credential: the file and where in it (``jobs.x.steps[2].env.Y``)."""
    suffixes = tuple(secrets["name_suffixes"])
    token_shapes = compile_all(secrets["value_patterns"])
    url_password = re.compile(secrets["url_password"])
    assignment = re.compile(secrets["script_assignment"])
    options = compile_all(secrets["script_options"])

    def secret_name(name: str) -> bool:
        return name.upper().replace("-", "_").endswith(suffixes)

    problems = []
    for workflow in workflows:
        for number, line in enumerate(lines(workflow.text), start=1):
            if search(token_shapes, line):
                problems.append(f"{workflow.file} line {number}: a string shaped like a credential")
        for path, key, value in scalars(workflow.raw):
            where = f"{workflow.file} › {path}"
            scopes = path.startswith("permissions.") or ".permissions." in path
            if key and not scopes and secret_name(key) and is_literal(value):
                problems.append(f"{where}: `{key}` has a literal value")
                continue
            for line in lines(as_text(value)):
                if any(is_literal(m.group(1)) for m in url_password.finditer(line)):
                    problems.append(f"{where}: a password written in a URL")
                for match in assignment.finditer(line):
                    if secret_name(match.group(1)):
                        problems.append(f"{where}: `{match.group(1)}=` is given a literal value")
                if any(pattern.search(line) for pattern in options):
                    problems.append(f"{where}: a literal password on a login command line")
    return problems
