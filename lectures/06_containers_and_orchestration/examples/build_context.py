"""Assemble the build context of the lecture's Dockerfile: the service, its lock and a model.

The Dockerfile expects ``pyproject.toml``, ``uv.lock``, ``churn_service/`` and ``models/`` next to
it. The first three live in ``service/``; the model is an artefact, not source, so it is not
committed: this script trains lecture 4's reference pipeline on ``data/train.csv`` and exports it
to ``models/churn.onnx``, as a training job would before the image build.

Run: uv run python lectures/06_containers_and_orchestration/examples/build_context.py OUT_DIR
then: podman build --format docker -t lecture06-churn-service:1.2.0 OUT_DIR
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVICE = HERE / "service"
LECTURE_4 = HERE.parents[1] / "04_services_in_python" / "examples"


def export_model(path: Path) -> Path:
    """Train lecture 4's reference pipeline and write it as ONNX (probabilities as a tensor)."""
    spec = importlib.util.spec_from_file_location(
        "lecture06_onnx_export", LECTURE_4 / "onnx_export.py"
    )
    assert spec is not None and spec.loader is not None
    onnx_export = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = onnx_export
    spec.loader.exec_module(onnx_export)
    model = onnx_export.train_pipeline(*onnx_export.load_data())
    path.parent.mkdir(parents=True, exist_ok=True)
    return onnx_export.export_onnx(model, path)


def assemble(out: Path) -> Path:
    """Write the Dockerfile, .dockerignore, pyproject.toml, uv.lock, churn_service/ and models/."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("Dockerfile", ".dockerignore"):
        shutil.copy2(HERE / name, out / name)
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(SERVICE / name, out / name)
    shutil.copytree(
        SERVICE / "churn_service",
        out / "churn_service",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    export_model(out / "models" / "churn.onnx")
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: build_context.py OUT_DIR")
    out = assemble(Path(sys.argv[1]))
    print(f"build context ready in {out}")


if __name__ == "__main__":
    main()
