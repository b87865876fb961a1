"""The Deployment the kube stage plays: one replica, the grader's image, a name of its own per job."""

from __future__ import annotations

from grader.containers.kube import Rendered
from grader.containers.play import played_manifest

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "churn-api", "namespace": "churn"},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "api",
                        "image": "ghcr.io/student/churn-api:1.0",
                        "ports": [{"containerPort": 8000}],
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8000}},
                    }
                ]
            }
        },
    },
}


def test_two_jobs_play_under_different_names() -> None:
    rendered = Rendered([DEPLOYMENT])
    first = played_manifest(rendered, "grader/img:1", "postgresql+psycopg://x", job="ab12")
    second = played_manifest(rendered, "grader/img:1", "postgresql+psycopg://x", job="cd34")
    names = {first[-1]["metadata"]["name"], second[-1]["metadata"]["name"]}
    assert names == {"churn-api-ab12", "churn-api-cd34"}
    played = first[-1]
    assert played["spec"]["replicas"] == 1 and "namespace" not in played["metadata"]
    (container,) = played["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "grader/img:1" and "readinessProbe" not in container
    assert {"name": "DATABASE_URL", "value": "postgresql+psycopg://x"} in container["env"]
    assert DEPLOYMENT["metadata"]["name"] == "churn-api", "the rendered objects stay untouched"
