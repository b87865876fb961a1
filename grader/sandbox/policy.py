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
    )
