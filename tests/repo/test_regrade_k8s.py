"""The Kubernetes regrade (deploy/regrade-k8s): renders, validates strictly, and means what the guide says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "regrade-k8s"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN))
    assert found, f"{name} is a dev dependency of the course repository"
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("k8s") / "rendered.yaml"
    path.write_text(result.stdout)
    validate = subprocess.run(
        [tool("kubernetes-validate"), "--strict", str(path), str(DEPLOY / "merge-job.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    documents.append(yaml.safe_load((DEPLOY / "merge-job.yaml").read_text()))
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in documents}


def test_the_shards_are_an_indexed_job_sized_like_the_settings(rendered: dict) -> None:
    job = rendered["Job/regrade"]["spec"]
    settings = rendered["ConfigMap/regrade-settings"]["data"]
    assert job["completionMode"] == "Indexed"
    assert job["completions"] == job["parallelism"] == int(settings["SHARDS"])
    command = " ".join(job["template"]["spec"]["containers"][0]["args"])
    assert '--shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS"' in command
    assert "--allow-partial-isolation" not in command


def test_one_shard_per_node_so_load_windows_never_overlap(rendered: dict) -> None:
    pod = rendered["Job/regrade"]["spec"]["template"]
    (term,) = pod["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()


def test_the_sandbox_privileges_are_stated_and_confined_to_grading_nodes(rendered: dict) -> None:
    spec = rendered["Job/regrade"]["spec"]["template"]["spec"]
    assert spec["containers"][0]["securityContext"]["privileged"] is True
    assert spec["nodeSelector"] == {"mlops-course/grading": "true"}
    assert spec["tolerations"][0]["key"] == "mlops-course/grading"
    merge = rendered["Job/regrade-merge"]["spec"]["template"]["spec"]["containers"][0]
    assert merge["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert "privileged" not in merge["securityContext"]


def test_the_merge_step_joins_the_shard_gradebooks(rendered: dict) -> None:
    merge = rendered["Job/regrade-merge"]
    args = " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])
    assert args.startswith('exec grader merge "$HOMEWORK"')
    assert 'shard-*/gradebook-"$HOMEWORK".csv' in args
    assert merge["metadata"]["namespace"] == rendered["Namespace/grading"]["metadata"]["name"]


def test_the_grader_image_passes_hadolint() -> None:
    result = subprocess.run(
        [tool("hadolint"), str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout
