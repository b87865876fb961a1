"""A tiny "plan / apply" reconciler: the core loop of Terraform, in about 250 lines of Python.

HONEST STAND-IN: Terraform and a real cloud are not available in the course environment. This
file keeps the ideas and drops the rest:

* the **desired state** is data (like ``main.tf``), not a list of commands;
* the **actual state** lives in a fake provider (``FakeCloud``, standing in for the Kubernetes
  API the Terraform file in ``examples/terraform`` talks to);
* a **state file** remembers what this tool created (like ``terraform.tfstate``);
* **plan** refreshes the state from the provider, diffs it against the desired state and
  prints create / update / replace / destroy actions in dependency order;
* **apply** executes the plan; applying the same configuration twice makes the second plan
  empty and performs zero API calls — that is idempotency;
* attributes that cannot change in place (``forces_replacement``) lead to replace, the way
  immutable infrastructure is rebuilt rather than patched.

Run it with ``uv run python lectures/12_deploying_applications/examples/reconciler.py``.
"""

from __future__ import annotations

import copy
import json
import tempfile
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any, Literal

Action = Literal["create", "update", "replace", "delete"]

# Which attribute changes the provider cannot apply in place. In Kubernetes a Deployment's label
# selector and a Service's type are immutable; a namespace cannot be renamed.
FORCES_REPLACEMENT: dict[str, set[str]] = {
    "kubernetes_namespace_v1": {"name"},
    "kubernetes_config_map_v1": set(),
    "kubernetes_deployment_v1": {"selector"},
    "kubernetes_service_v1": {"type"},
}


@dataclass
class Resource:
    """One resource in the configuration: a type, attributes and dependencies."""

    type: str
    name: str
    attrs: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        """Terraform-style address, e.g. ``kubernetes_service_v1.churn_api``."""
        return f"{self.type}.{self.name}"


class AlreadyExistsError(RuntimeError):
    """The provider refuses to create an object that exists (what imperative scripts hit)."""


@dataclass
class FakeCloud:
    """Stand-in provider: stores objects by address and counts every mutating API call."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _next_id: int = 1

    def create(self, address: str, attrs: dict[str, Any]) -> str:
        """Create an object and return its provider id."""
        if address in self.objects:
            raise AlreadyExistsError(f"{address} already exists")
        object_id = f"id-{self._next_id:04d}"
        self._next_id += 1
        self.objects[address] = {"id": object_id, **copy.deepcopy(attrs)}
        self.calls.append(f"create {address}")
        return object_id

    def update(self, address: str, attrs: dict[str, Any]) -> None:
        """Patch an existing object in place."""
        self.objects[address].update(copy.deepcopy(attrs))
        self.calls.append(f"update {address}")

    def delete(self, address: str) -> None:
        """Delete an object."""
        del self.objects[address]
        self.calls.append(f"delete {address}")

    def read(self, address: str) -> dict[str, Any] | None:
        """Read the live object (None if it is gone)."""
        obj = self.objects.get(address)
        return copy.deepcopy(obj) if obj is not None else None


@dataclass
class Change:
    """One planned action."""

    action: Action
    address: str
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def render(self) -> str:
        """Terraform-like one-line rendering."""
        symbol = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}[self.action]
        if self.action == "create":
            n = len(self.diff)
            return f"  {symbol} {self.address}  ({n} attribute{'s' if n != 1 else ''})"
        details = ", ".join(f"{k}: {b!r} -> {a!r}" for k, (b, a) in sorted(self.diff.items()))
        return f"  {symbol} {self.address}" + (f"  ({details})" if details else "")


@dataclass
class Plan:
    """An ordered list of changes."""

    changes: list[Change]

    @property
    def empty(self) -> bool:
        """True when the infrastructure already matches the configuration."""
        return not self.changes

    def summary(self) -> str:
        """``Plan: X to add, Y to change, Z to destroy.`` (a replace counts as add + destroy)."""
        add = sum(c.action in ("create", "replace") for c in self.changes)
        change = sum(c.action == "update" for c in self.changes)
        destroy = sum(c.action in ("delete", "replace") for c in self.changes)
        if self.empty:
            return "No changes. Your infrastructure matches the configuration."
        return f"Plan: {add} to add, {change} to change, {destroy} to destroy."


class StateFile:
    """JSON state: which objects this tool manages, their last known attributes, dependencies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            data = json.loads(path.read_text())
        else:
            data = {"version": 1, "serial": 0, "resources": {}}
        self.serial: int = data["serial"]
        self.resources: dict[str, dict[str, Any]] = data["resources"]

    def save(self) -> None:
        """Write the state with an incremented serial number."""
        self.serial += 1
        payload = {"version": 1, "serial": self.serial, "resources": self.resources}
        self.path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def refresh(state: StateFile, cloud: FakeCloud) -> None:
    """Update the state's attributes from the provider: this is where drift becomes visible."""
    for address in list(state.resources):
        live = cloud.read(address)
        if live is None:
            del state.resources[address]  # deleted behind our back: plan will re-create it
        else:
            live.pop("id")
            state.resources[address]["attrs"] = live


def _order(resources: dict[str, list[str]]) -> list[str]:
    """Topological order: dependencies first."""
    return list(TopologicalSorter(resources).static_order())


def plan(config: list[Resource], state: StateFile, cloud: FakeCloud) -> Plan:
    """Refresh, diff desired against known state, and order the actions safely."""
    refresh(state, cloud)
    desired = {r.address: r for r in config}
    changes: dict[str, Change] = {}
    for address, resource in desired.items():
        current = state.resources.get(address)
        if current is None:
            diff = {k: (None, v) for k, v in resource.attrs.items()}
            changes[address] = Change("create", address, diff)
            continue
        diff = {
            k: (current["attrs"].get(k), v)
            for k, v in resource.attrs.items()
            if current["attrs"].get(k) != v
        }
        if diff:
            forced = set(diff) & FORCES_REPLACEMENT.get(resource.type, set())
            changes[address] = Change("replace" if forced else "update", address, diff)
    deletions = [a for a in state.resources if a not in desired]

    graph = {a: list(r.depends_on) for a, r in desired.items()}
    ordered = [changes[a] for a in _order(graph) if a in changes]
    old_graph = {a: list(state.resources[a].get("depends_on", [])) for a in state.resources}
    for address in reversed(_order(old_graph)):  # dependents are destroyed first
        if address in deletions:
            ordered.append(Change("delete", address))
    return Plan(ordered)


def apply(config: list[Resource], state: StateFile, cloud: FakeCloud) -> Plan:
    """Plan, then execute the plan against the provider and save the new state."""
    the_plan = plan(config, state, cloud)
    desired = {r.address: r for r in config}
    for change in the_plan.changes:
        if change.action in ("delete", "replace"):
            cloud.delete(change.address)
            state.resources.pop(change.address, None)
        if change.action in ("create", "replace"):
            resource = desired[change.address]
            object_id = cloud.create(change.address, resource.attrs)
            state.resources[change.address] = {
                "id": object_id,
                "attrs": copy.deepcopy(resource.attrs),
                "depends_on": list(resource.depends_on),
            }
        if change.action == "update":
            resource = desired[change.address]
            cloud.update(change.address, {k: after for k, (_, after) in change.diff.items()})
            state.resources[change.address]["attrs"] = copy.deepcopy(resource.attrs)
    if not the_plan.empty:
        state.save()
    return the_plan


def churn_stack(
    image_tag: str = "1.0.0",
    replicas: int = 2,
    model_version: str = "churn-logreg-1.0.0",
    selector: str = "churn-api",
    with_service: bool = True,
) -> list[Resource]:
    """The desired state of the churn API, mirroring ``examples/terraform/main.tf``."""
    ns = Resource("kubernetes_namespace_v1", "churn", {"name": "churn"})
    cfg = Resource(
        "kubernetes_config_map_v1",
        "model",
        {"namespace": "churn", "model_version": model_version, "threshold": "0.5"},
        depends_on=[ns.address],
    )
    deploy = Resource(
        "kubernetes_deployment_v1",
        "churn_api",
        {
            "namespace": "churn",
            "image": f"ghcr.io/mlops-course/churn-api:{image_tag}",
            "replicas": replicas,
            "selector": selector,
        },
        depends_on=[ns.address, cfg.address],
    )
    resources = [ns, cfg, deploy]
    if with_service:
        svc = Resource(
            "kubernetes_service_v1",
            "churn_api",
            {"namespace": "churn", "type": "ClusterIP", "port": 80, "target_port": 8000},
            depends_on=[deploy.address],
        )
        resources.append(svc)
    return resources


def imperative_deploy(cloud: FakeCloud) -> None:
    """The imperative way: a fixed list of commands. Fine once, an error the second time."""
    for resource in churn_stack():
        cloud.create(resource.address, resource.attrs)


def main() -> None:
    """Walk through the life of the churn stack: create, no-op, drift, upgrade, replace, destroy."""
    with tempfile.TemporaryDirectory() as tmp:
        cloud = FakeCloud()
        state = StateFile(Path(tmp) / "terraform.tfstate.json")

        def step(title: str, config: list[Resource]) -> None:
            calls_before = len(cloud.calls)
            result = apply(config, state, cloud)
            print(f"== {title} ==")
            for change in result.changes:
                print(change.render())
            print(
                f"  {result.summary()}  [API calls: {len(cloud.calls) - calls_before}, "
                f"state serial {state.serial}]\n"
            )

        step("1. first apply on an empty cluster", churn_stack())
        step("2. apply the same configuration again (idempotent)", churn_stack())
        cloud.objects["kubernetes_deployment_v1.churn_api"]["replicas"] = 5
        print("   (someone ran `kubectl scale deployment churn-api --replicas=5` by hand)\n")
        step("3. apply after manual drift: back to the declared 2 replicas", churn_stack())
        step(
            "4. release model v2: new image and config, updated in place (rolling update)",
            churn_stack(image_tag="2.0.0", model_version="churn-logreg-2.0.0"),
        )
        step(
            "5. change the immutable label selector: the Deployment must be replaced",
            churn_stack(image_tag="2.0.0", model_version="churn-logreg-2.0.0", selector="churn"),
        )
        step(
            "6. drop the Service from the configuration",
            churn_stack(
                image_tag="2.0.0",
                model_version="churn-logreg-2.0.0",
                selector="churn",
                with_service=False,
            ),
        )
        other = FakeCloud()
        imperative_deploy(other)
        try:
            imperative_deploy(other)
        except AlreadyExistsError as exc:
            print(f"imperative script, second run: AlreadyExistsError: {exc}")


if __name__ == "__main__":
    main()
