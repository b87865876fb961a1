"""The sandbox policy (``grader/policy/sandbox.toml``): visible paths, environment, limits, stage settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from grader.paths import POLICY_DIR
from grader.sandbox.limits import Limits

SANDBOX_POLICY = POLICY_DIR / "sandbox.toml"


@dataclass(frozen=True)
class SandboxPolicy:
    """The parsed policy file; one instance per grader process."""

    system_read_only: tuple[str, ...]
    env_set: dict[str, str]
    env_pass_through: tuple[str, ...]
    system_path: str
    limits: Limits
    service_port: int
    uid_first: int
    uid_count: int
    stages: dict[str, dict[str, Any]]
    database: dict[str, Any]

    def stage_settings(self, stage: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """A stage's settings: the policy's defaults with a rubric's ``[stages.<name>]`` on top."""
        return {**self.stages.get(stage, {}), **(overrides or {})}


@cache
def load_sandbox_policy() -> SandboxPolicy:
    """Read ``sandbox.toml`` (cached)."""
    raw = tomllib.loads(SANDBOX_POLICY.read_text())
    fs, env, limits = raw["filesystem"], raw["environment"], raw["limits"]
    return SandboxPolicy(
        system_read_only=tuple(fs["system_read_only"]),
        env_set={str(k): str(v) for k, v in env["set"].items()},
        env_pass_through=tuple(env["pass_through"]),
        system_path=env["system_path"],
        limits=Limits(
            address_space_mb=int(limits["address_space_mb"]),
            cpu_seconds=int(limits["cpu_seconds"]),
            open_files=int(limits["open_files"]),
            processes=int(limits["processes"]),
            file_size_mb=int(limits["file_size_mb"]),
            output_bytes=int(limits["output_bytes"]),
        ),
        service_port=int(raw["network"]["service_port"]),
        uid_first=int(raw["uids"]["first"]),
        uid_count=int(raw["uids"]["count"]),
        stages={name: dict(values) for name, values in raw.get("stages", {}).items()},
        database=dict(raw.get("database", {})),
    )


def render_policy_markdown() -> str:
    """The sandbox policy as Markdown (course site): paths, environment, limits, stage settings."""
    policy = load_sandbox_policy()
    paths = ", ".join(f"`{p}`" for p in policy.system_read_only)
    env = ", ".join(f"`{k}={v}`" for k, v in policy.env_set.items())
    passed = ", ".join(f"`{k}`" for k in policy.env_pass_through)
    limits = policy.limits
    lines = [
        "**What a submission sees** (an allow-list): the system paths "
        f"{paths} read-only; its own copy of the repository (read-write); its environment and the "
        "interpreter it was built on (read-only); a private `/tmp` and `$HOME`; `/proc` of its own "
        "process tree; a minimal `/dev`. Nothing else of the host exists for it: not the grader, "
        "its suites, another checkout of the course, a home directory, another job or a report "
        "directory.",
        "",
        f"**Environment**: built from scratch. `PATH` starts with the job's environment, then "
        f"`{policy.system_path}`; `HOME`, `TMPDIR`, `VIRTUAL_ENV`, `PYTHONPATH` and `PYTHONPYCACHEPREFIX` "
        f"point into the job; also {env}; passed through from the host when set: {passed}.",
        "",
        f"**Network**: a private namespace with only a loopback; the service listens on port "
        f"{policy.service_port} there and the grader joins the namespace to reach it. A homework "
        "with a database gets its own empty PostgreSQL server in the same namespace (port "
        f"{policy.database.get('port', '?')}), run as a second unprivileged uid of the job, its "
        "data directory invisible to the submission; nothing outside the namespace can reach it.",
        "",
        f"**Identity**: each job runs as an unprivileged uid from {policy.uid_first}–"
        f"{policy.uid_first + policy.uid_count - 1} that no other job of the same run used.",
        "",
        "| Limit (every process of the job) | Value |",
        "|---|---:|",
        f"| address space | {limits.address_space_mb} MiB |",
        f"| CPU time | {limits.cpu_seconds} s |",
        f"| open files | {limits.open_files} |",
        f"| processes of the job's uid | {limits.processes} |",
        f"| file size | {limits.file_size_mb} MiB |",
        f"| output kept per process | {limits.output_bytes} bytes (head and tail) |",
        "",
        "| Stage | Setting | Value |",
        "|---|---|---:|",
    ]
    for stage, settings in policy.stages.items():
        for key, value in settings.items():
            unit = " s" if key.endswith("_s") else ""
            shown = f"`{value}`" if isinstance(value, str) else f"{value:g}{unit}"
            lines.append(f"| `{stage}` | `{key}` | {shown} |")
    return "\n".join(lines) + "\n"
