"""Build the submission's image through the Docker API and measure it against the policy's limits."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.containers.engine import Engine
from grader.containers.policy import load_container_policy


@dataclass
class BuildResult:
    """What a build produced: the image (or the error), its time, size and the log's tail."""

    tag: str
    seconds: float
    image: Any = None  # docker.models.images.Image
    error: str | None = None
    log: list[str] = field(default_factory=list)
    growth_mb: float | None = None

    def tail(self, lines: int = 15) -> str:
        """The last lines of the build log (feedback)."""
        return "".join(self.log[-lines:]).strip()


def build_image(engine: Engine, context: Path, tag: str) -> BuildResult:
    """``docker build`` of ``context`` (its .dockerignore applies); the engine decides the network.

    podman's compatible API builds in Docker's image format, which keeps ``HEALTHCHECK``.
    """
    limit = float(load_container_policy()["build"]["max_seconds"])
    started = time.monotonic()
    result = BuildResult(tag, 0.0)
    watchdog = threading.Timer(limit + 30, engine.abort)  # a RUN step that never ends
    watchdog.daemon = True
    watchdog.start()
    try:
        for chunk in engine.client.api.build(
            path=str(context), tag=tag, rm=True, forcerm=True, decode=True
        ):
            if "stream" in chunk:
                result.log.append(chunk["stream"])
            if "error" in chunk:
                result.error = str(chunk["error"]).strip()
        if result.error is None:
            result.image = engine.client.images.get(tag)
    except Exception as exc:  # the SDK's API and connection errors: a failed build, reported
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        watchdog.cancel()
    if time.monotonic() - started > limit + 30:
        result.error = f"the build was stopped after {limit + 30:.0f} s (limit {limit:.0f} s)"
        result.image = None
    result.seconds = round(time.monotonic() - started, 1)
    if result.image is not None:
        result.growth_mb = _growth_mb(engine, result.image)
    return result


def _growth_mb(engine: Engine, image: Any) -> float | None:
    """Size over the largest allowed base image present, in MB."""
    sizes = []
    for base in load_container_policy()["base_images"]["allowed"]:
        try:
            sizes.append(int(engine.client.images.get(base).attrs["Size"]))
        except Exception:  # a base image that is not here does not count
            continue
    size = int(image.attrs.get("Size") or 0)
    return round((size - max(sizes, default=0)) / 1e6, 1)


def holds_no_service(result: BuildResult) -> bool:
    """The image adds less than the policy's minimum to its base: a stub with no environment."""
    minimum = float(load_container_policy()["build"]["min_size_growth_mb"])
    return result.growth_mb is not None and result.growth_mb < minimum


def limit_problems(result: BuildResult) -> list[str]:
    """The build's time and size against ``[build]`` of the policy."""
    limits = load_container_policy()["build"]
    problems = []
    if result.seconds > limits["max_seconds"]:
        problems.append(f"the build took {result.seconds:.0f} s (limit {limits['max_seconds']} s)")
    if holds_no_service(result):
        problems.append(
            f"the image adds only {result.growth_mb:.0f} MB to its base (at least "
            f"{limits['min_size_growth_mb']} MB): it does not hold the service's environment"
        )
    if result.growth_mb is not None and result.growth_mb > limits["max_size_growth_mb"]:
        problems.append(
            f"the image adds {result.growth_mb:.0f} MB to its base (limit {limits['max_size_growth_mb']} MB)"
        )
    return problems


def remove_image(engine: Engine, tag: str) -> None:
    """Remove the tagged image (its cached layers stay: they are the next build's warm cache)."""
    with contextlib.suppress(Exception):  # already gone
        engine.client.images.remove(tag, force=True)
