"""Static checks of docker-compose.yml: the Compose specification's JSON schema, then the course's rules.

The schema is vendored (grader/policy/schemas/compose-spec.json, from check-jsonschema's copy of
the compose-spec project's schema): grading needs no network.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from grader.containers.dockerfile import untagged_or_latest
from grader.containers.policy import load_container_policy, rule_text
from grader.paths import POLICY_DIR

SCHEMA_PATH = POLICY_DIR / "schemas" / "compose-spec.json"
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN", re.IGNORECASE)
URL_PASSWORD = re.compile(r"://[^/\s:@]+:([^@\s]+)@")


def find_compose(root: Path) -> Path | None:
    """The submission's compose file, under any of the names Compose accepts."""
    return next((root / n for n in COMPOSE_NAMES if (root / n).is_file()), None)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {e.partition("=")[0]: e.partition("=")[2] for e in env}
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def compose_problems(path: Path) -> list[str]:
    """Every schema error and broken course rule, one line each."""
    problems: list[str] = []

    def broken(rule: str, detail: str) -> None:
        problems.append(f"{rule}: {detail} (rule: {rule_text('compose', rule)})")

    try:
        document = yaml.safe_load(path.read_text(errors="replace"))
    except yaml.YAMLError as exc:
        return [f"schema: not valid YAML ({str(exc).splitlines()[0]})"]
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))[:5]:
        where = "/".join(str(p) for p in error.path) or "(top level)"
        broken("schema", f"{where}: {error.message[:200]}")
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        return problems or ["services: no services"]
    services: dict[str, dict[str, Any]] = {
        k: v for k, v in document["services"].items() if isinstance(v, dict)
    }
    database_image = load_container_policy()["compose"]["database_image"]
    databases = [
        n
        for n, s in services.items()
        if str(s.get("image", "")).split(":")[0].endswith(database_image)
    ]
    apps = [n for n, s in services.items() if "build" in s]
    if not databases or not apps:
        broken("services", f"found {sorted(services)}: need one built app and one {database_image}")
    for name in databases:
        if "healthcheck" not in services[name]:
            broken("healthchecks", f"service {name} has no healthcheck")
        volumes = services[name].get("volumes") or []
        named = [
            v for v in volumes
            if (isinstance(v, str) and not v.startswith((".", "/", "~")) and ":" in v)
            or (isinstance(v, dict) and v.get("type", "volume") == "volume" and v.get("source"))
        ]  # fmt: skip
        if not named:
            broken("named_volume", f"service {name} keeps its data in no named volume")
    for name in apps:
        depends = services[name].get("depends_on") or {}
        healthy = isinstance(depends, dict) and any(
            isinstance(depends.get(db), dict) and depends[db].get("condition") == "service_healthy"
            for db in databases
        )
        if not healthy:
            broken("depends_healthy", f"service {name} does not wait for a healthy database")
    for name, service in services.items():
        image = service.get("image")
        if image and "build" not in service and untagged_or_latest(str(image)):
            broken("no_latest", f"service {name}: image {image}")
        for key, value in _environment(service).items():
            literal = value and "${" not in value
            if SECRET_KEY.search(key) and literal:
                broken("password_from_env", f"service {name}: {key} is a literal")
            found = URL_PASSWORD.search(value)
            if found and "${" not in found.group(1):
                broken("password_from_env", f"service {name}: {key} holds a literal password")
    return problems
