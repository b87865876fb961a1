"""The image build cache, measured: build the lecture's Dockerfile with podman, edit, rebuild.

Each scenario edits a copy of the build context and rebuilds it; podman prints, for every
instruction, either ``--> Using cache <id>`` (the layer was reused) or the output of the step
(it ran again). The script reads that output and reports, per scenario, which instructions ran
and how long the build took:

* ``edit a notebook``: ``.dockerignore`` keeps the file out of the context, so the build is the
  same as a rebuild with nothing changed: every instruction comes from the cache;
* ``edit app code``: the dependency layer (``uv sync --no-install-project``) is reused; the code
  copy and everything after it in that stage run again, and in the runtime stage everything from
  ``COPY --from=builder`` on;
* ``retrain the model``: new model bytes rebuild only ``COPY models/`` and the steps after it.

Each edit carries a fresh marker, so its outcome does not depend on what earlier builds left in
the engine's cache. Dependencies are installed offline from a mounted uv cache, filled on the
host first (``--network none``; ``build_context.py`` explains the folder).

Run: uv run python lectures/06_containers_and_orchestration/examples/build_cache.py
(needs podman and the base images; with Docker, the same edits show ``CACHED`` in its output).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_TAG = "localhost/lecture06-churn-service:cache-demo"
UV_CACHE = Path(tempfile.gettempdir()) / "mlops-course-uv-cache"
STEP_LINE = re.compile(r"^(?:\[(\d+)/\d+\] )?STEP (\d+)/\d+: (.*)$")


@dataclass(frozen=True)
class Step:
    """One instruction of one build, as podman reported it."""

    stage: int
    number: int
    instruction: str
    cached: bool

    @property
    def keyword(self) -> str:
        return self.instruction.split(maxsplit=1)[0].upper()

    def __str__(self) -> str:
        text = " ".join(self.instruction.split())
        return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Build:
    """The outcome of one ``podman build``."""

    seconds: float
    steps: list[Step]

    @property
    def rebuilt(self) -> list[Step]:
        """Instructions that ran (FROM only names the base image and is left out)."""
        return [s for s in self.steps if not s.cached and s.keyword != "FROM"]


def parse_build_output(text: str) -> list[Step]:
    """Steps of a podman (buildah) build log; a step is cached when podman says so."""
    steps: list[Step] = []
    current: tuple[int, int, str] | None = None
    cached = False
    for line in text.splitlines():
        match = STEP_LINE.match(line.strip())
        if match or line.startswith(("COMMIT", "Successfully tagged")) or " COMMIT " in line:
            if current is not None:
                steps.append(Step(*current, cached))
            current, cached = None, False
            if match:
                current = (int(match.group(1) or 1), int(match.group(2)), match.group(3))
        elif current is not None and line.startswith("--> Using cache"):
            cached = True
    if current is not None:
        steps.append(Step(*current, cached))
    return steps


def fill_uv_cache(context: Path, cache: Path = UV_CACHE) -> None:
    """Download the image's dependencies into ``cache`` on the host (the build has no network)."""
    with tempfile.TemporaryDirectory() as venv:
        subprocess.run(
            ["uv", "sync", "--frozen", "--no-dev", "--no-editable", "--quiet"],
            cwd=context,
            env={
                **os.environ,
                "UV_CACHE_DIR": str(cache),
                "UV_PROJECT_ENVIRONMENT": str(Path(venv) / "venv"),
                "UV_PYTHON_DOWNLOADS": "never",
            },
            check=True,
            timeout=300,
        )


def podman_build(context: Path, tag: str, cache: Path = UV_CACHE) -> Build:
    """Build ``context`` offline (dependencies from ``cache``) and report every step."""
    started = time.monotonic()
    done = subprocess.run(
        ["podman", "build", "--format", "docker", "--network", "none",
         "--volume", f"{cache}:/root/.cache/uv", "--tag", tag, str(context)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"podman build failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return Build(seconds, parse_build_output(done.stdout))


def edit_app_code(context: Path, marker: str) -> None:
    """A change to the service's code, as a developer's commit would make."""
    with (context / "churn_service" / "app.py").open("a", encoding="utf-8") as app:
        app.write(f"\n# edited: {marker}\n")


def edit_notebook(context: Path, marker: str) -> None:
    """A change to a file that .dockerignore keeps out of the build context."""
    (context / "notebooks").mkdir(exist_ok=True)
    (context / "notebooks" / "eda.ipynb").write_text(f'{{"cells": [], "note": "{marker}"}}')


def retrain_model(context: Path, marker: str) -> None:
    """New model bytes: the same ONNX graph with a new description, as a retraining produces."""
    import onnx

    path = context / "models" / "churn.onnx"
    model = onnx.load(path)
    model.doc_string = f"retrained: {marker}"
    onnx.save(model, path)


SCENARIOS: dict[str, Callable[[Path, str], None]] = {
    "edit a notebook": edit_notebook,
    "edit app code": edit_app_code,
    "retrain the model": retrain_model,
}


def run_scenarios(
    context: Path,
    tag: str = DEFAULT_TAG,
    cache: Path = UV_CACHE,
    *,
    names: tuple[str, ...] = tuple(SCENARIOS),
    first_build: bool = True,
) -> dict[str, Build]:
    """Build ``context`` (unless the caller just did), then apply each edit in turn and rebuild.

    The edits accumulate (each starts from the previous state), so each build's rebuilt steps
    are caused by its own edit alone. ``context`` is changed in place: pass a copy.
    """
    marker = uuid.uuid4().hex
    builds = {"first build": podman_build(context, tag, cache)} if first_build else {}
    for name in names:
        SCENARIOS[name](context, marker)
        builds[name] = podman_build(context, tag, cache)
    return builds


def dependency_step(build: Build) -> Step:
    """The step that installs the third-party packages: the one worth keeping cached."""
    return next(s for s in build.steps if "--no-install-project" in s.instruction)


def report(builds: dict[str, Build]) -> str:
    """One block per build: time, how many instructions ran, and which."""
    lines = []
    for name, build in builds.items():
        verdict = "cached" if dependency_step(build).cached else "INSTALLED"
        lines.append(
            f"{name:<26} {build.seconds:6.1f} s  {len(build.rebuilt):>2} steps ran,"
            f" dependencies {verdict}"
        )
        lines.extend(f"    {step}" for step in build.rebuilt)
    return "\n".join(lines)


def _build_context_module():
    spec = importlib.util.spec_from_file_location(
        "lecture06_build_context", HERE / "build_context.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> None:
    """Assemble a build context in a temporary folder, run the scenarios, print the report."""
    parser = argparse.ArgumentParser(description="Measure the image build cache with podman.")
    parser.add_argument("--tag", default=DEFAULT_TAG, help="image tag (removed at the end)")
    args = parser.parse_args(argv)
    if shutil.which("podman") is None:
        sys.exit("build_cache.py needs podman (see the lecture notes for the setup)")
    with tempfile.TemporaryDirectory() as tmp:
        context = _build_context_module().assemble(Path(tmp) / "context")
        fill_uv_cache(context)
        try:
            builds = run_scenarios(context, args.tag)
        except RuntimeError as error:
            sys.exit(str(error))
        finally:
            subprocess.run(["podman", "rmi", "--force", args.tag], capture_output=True, check=False)
    print(report(builds))


if __name__ == "__main__":
    main()
