"""Render the lecture's Kubernetes manifests for ``podman kube play`` on one machine.

``podman kube play`` runs a Deployment as a pod on the local machine, which is a quick way to
check that the manifests, the image and the configuration fit together before a cluster sees
them. Four adjustments are needed, and this module makes exactly those, leaving the rest
(probes, security context, resources, ConfigMap) as written:

* the image: the one just built locally, never pulled (``imagePullPolicy: Never``);
* one replica, and the container port published on ``127.0.0.1:<port>`` (a ``hostPort``), since
  there is no Service or Ingress in front of a local pod;
* Secret references (``secretKeyRef``) become literal values: podman 4.3 fails to read a Secret
  it was given (``secret churn-db is not valid JSON``), a cluster's kubelet does not;
* ``$(NAME)`` references in env values are expanded from the variables defined before them, as
  the kubelet does (podman 4.3 passes them through unexpanded).

Run: uv run python lectures/06_containers_and_orchestration/examples/kube_local.py PORT > play.yaml
then: podman kube play play.yaml  ...  podman kube down play.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parent / "k8s"
REFERENCE = re.compile(r"\$\((\w+)\)")


def expand(value: str, defined: dict[str, str]) -> str:
    """Kubernetes' ``$(NAME)`` expansion: defined names are replaced, unknown ones kept."""
    return REFERENCE.sub(lambda m: defined.get(m.group(1), m.group(0)), value)


def render(image: str, port: int, name_prefix: str = "", k8s: Path = K8S) -> list[dict[str, Any]]:
    """The ConfigMap and the app Deployment, adjusted for a local ``podman kube play``."""
    configmap = yaml.safe_load((k8s / "configmap.yaml").read_text())
    secret = yaml.safe_load((k8s / "secret.yaml").read_text())
    deployment = yaml.safe_load((k8s / "deployment.yaml").read_text())
    deployment["metadata"]["name"] = name_prefix + deployment["metadata"]["name"]
    deployment["spec"]["replicas"] = 1
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    container["image"] = image
    container["imagePullPolicy"] = "Never"
    container["ports"][0].update(hostPort=port, hostIP="127.0.0.1")

    secrets = {secret["metadata"]["name"]: secret["stringData"]}
    variables = dict(configmap["data"])  # envFrom comes first; env entries may refer to it
    for entry in container["env"]:
        if "valueFrom" in entry:
            ref = entry.pop("valueFrom")["secretKeyRef"]
            entry["value"] = secrets[ref["name"]][ref["key"]]
        entry["value"] = expand(entry["value"], variables)
        variables[entry["name"]] = entry["value"]
    return [configmap, deployment]


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: kube_local.py PORT")
    documents = render("localhost/churn-service:1.2.0", int(sys.argv[1]))
    print(yaml.safe_dump_all(documents, sort_keys=False), end="")


if __name__ == "__main__":
    main()
