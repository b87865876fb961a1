"""The hw3 dashboard checks: every panel query evaluates on the grader's Prometheus, and the
dashboard is provisioned from files with the service's golden signals above the model's.

Layout, precisely (the rubric's title says the same): among the panels that are not rows, the
*top row* is the panels with the smallest ``gridPos.y``. It must show the request rate (a query on
``http_requests_total``), the errors (a query on ``http_requests_total`` with a ``status``
matcher that selects 5xx) and the duration (a query on ``http_request_duration_seconds_*``).
*Model panels* query ``predictions_total``, ``prediction_probability_*`` or ``model_info``; there is
at least one, and each lies below the top row (a larger ``gridPos.y``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from grader.checks.api import Verdict
from grader.checks.monitoring_job import HostileInput, Workspace, load_yaml, read_file
from grader.checks.prometheus import expression_problems
from grader.monitoring import grafana
from grader.monitoring import prometheus as harness
from grader.monitoring.promql import metric_names

MAX_LISTED = 8
RATE_METRIC = "http_requests_total"
DURATION_PREFIX = "http_request_duration_seconds_"
MODEL_METRICS = re.compile(r"^(predictions_total|prediction_probability_\w+|model_info)$")
FIVE_XX = re.compile(r'status\s*=~\s*"5')


@dataclass(frozen=True)
class Dashboard:
    """One dashboard JSON of the submission."""

    name: str
    document: Mapping[str, Any]


def load_dashboards(workspace: Workspace, pattern: str) -> tuple[list[Dashboard], list[str]]:
    """The dashboards matching ``pattern`` (relative to the repository) in the workspace copy."""
    dashboards, problems = [], []
    for path in sorted(workspace.root.glob(pattern)):
        name = str(path.relative_to(workspace.root))
        try:
            document = json.loads(path.read_text())
        except ValueError as exc:
            problems.append(f"{name} is not JSON ({exc})")
            continue
        if isinstance(document, dict) and isinstance(document.get("dashboard"), dict):
            document = document["dashboard"]  # the API's export wraps the dashboard
        if not isinstance(document, dict):
            problems.append(f"{name} is not a dashboard object")
            continue
        dashboards.append(Dashboard(name, document))
    return dashboards, problems


def _listed(problems: Sequence[str]) -> str:
    more = f"\n(+{len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
    return "\n".join(f"- {p}" for p in problems[:MAX_LISTED]) + more


def check_queries(
    server: harness.PrometheusServer,
    dashboards: Sequence[Dashboard],
    problems_loading: Sequence[str],
    exposed: set[str],
    pattern: str,
) -> Verdict:
    """Every panel query, Grafana's variables substituted, evaluates and names exposed metrics."""
    if not dashboards:
        why = "; ".join(problems_loading) or f"no dashboard JSON matches {pattern}"
        return Verdict(0.0, f"No dashboard to check: {why}.")
    problems = list(problems_loading)
    total = bad = 0
    for dashboard in dashboards:
        for query in grafana.dashboard_queries(dashboard.document):
            total += 1
            where = f"{dashboard.name}, panel {query.panel!r} {query.ref_id}".rstrip()
            if "$" in query.promql:
                found = ["a Grafana variable the dashboard does not define: " + query.promql]
            else:
                found = expression_problems(server, query.promql, exposed)
            if found:
                bad += 1
                problems += [f"{where}: {p}" for p in found]
    if total == 0:
        return Verdict(0.0, "The dashboards have no Prometheus query (panel targets[].expr).")
    if not problems:
        return Verdict(
            1.0,
            f"{total} panel queries evaluate on Prometheus (Grafana's variables substituted: "
            "$__rate_interval=1m, $__interval=15s, $__range=1h, template variables at their "
            "defaults) and name only exposed metrics.",
        )
    return Verdict(1 - bad / total, f"{bad} of {total} panel queries fail:\n" + _listed(problems))


# --------------------------------------------------------------------------- layout
def _panels(panels: Any) -> Iterator[Mapping[str, Any]]:
    for panel in panels if isinstance(panels, list) else []:
        if isinstance(panel, Mapping):
            yield panel
            yield from _panels(panel.get("panels"))


def _names(panel: Mapping[str, Any], variables: Mapping[str, str]) -> tuple[set[str], str]:
    targets = panel.get("targets")
    exprs = [
        grafana.substitute(t["expr"], variables)
        for t in (targets if isinstance(targets, list) else [])
        if isinstance(t, Mapping) and isinstance(t.get("expr"), str)
    ]
    names: set[str] = set()
    for expr in exprs:
        names |= metric_names(expr).selected
    return names, "\n".join(exprs)


def layout_problems(document: Mapping[str, Any]) -> list[str]:
    """What the dashboard misses of the layout in this module's docstring; empty when it fits."""
    variables = grafana.variable_defaults(document)
    panels = []
    for panel in _panels(document.get("panels")):
        grid = panel.get("gridPos") if isinstance(panel.get("gridPos"), Mapping) else {}
        y = grid.get("y")
        if panel.get("type") == "row" or not isinstance(y, int | float):
            continue
        names, text = _names(panel, variables)
        panels.append((float(y), str(panel.get("title", "?")), names, text))
    if not panels:
        return ["no panels with a gridPos"]
    top_y = min(p[0] for p in panels)
    top = [p for p in panels if p[0] == top_y]
    problems = []
    if not any(RATE_METRIC in p[2] for p in top):
        problems.append(f"the top row has no request-rate panel (a query on {RATE_METRIC})")
    if not any(RATE_METRIC in p[2] and FIVE_XX.search(p[3]) for p in top):
        problems.append('the top row has no error panel (http_requests_total with status=~"5..")')
    if not any(any(n.startswith(DURATION_PREFIX) for n in p[2]) for p in top):
        problems.append(f"the top row has no duration panel (a query on {DURATION_PREFIX}*)")
    model = [p for p in panels if any(MODEL_METRICS.match(n) for n in p[2])]
    if not model:
        problems.append("no model panel (predictions_total, prediction_probability_*, model_info)")
    problems += [f"model panel {p[1]!r} is on the top row" for p in model if p[0] <= top_y]
    return problems


def _compose_mounts(submission: Path, directory: str) -> set[str]:
    """Where docker-compose.yml mounts ``directory`` (a repository path) in its containers."""
    targets: set[str] = set()
    for name in ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
        try:
            text = read_file(submission, name)
            document = load_yaml(text, name) if text else None
        except HostileInput:
            continue
        services = document.get("services") if isinstance(document, dict) else None
        for service in (services or {}).values() if isinstance(services, dict) else []:
            for volume in (service or {}).get("volumes") or [] if isinstance(service, dict) else []:
                if isinstance(volume, str) and ":" in volume:
                    source, target = volume.split(":")[:2]
                elif isinstance(volume, dict):
                    source, target = str(volume.get("source", "")), str(volume.get("target", ""))
                else:
                    continue
                if PurePosixPath(source.removeprefix("./")) == PurePosixPath(directory):
                    targets.add(str(PurePosixPath(target)))
    return targets


def provisioning_problems(
    workspace: Workspace, submission: Path, contract: Mapping[str, Any]
) -> list[str]:
    """Empty when a dashboards provider of type file points at the dashboards directory.

    The provider's ``options.path`` counts when it is that directory (relative to the repository)
    or where docker-compose.yml mounts it (or a directory inside the mount).
    """
    directory = str(PurePosixPath(str(contract["prometheus"]["dashboards"])).parent)
    provisioning = workspace.monitoring / "grafana" / "provisioning" / "dashboards"
    files = sorted(p for p in provisioning.glob("*") if p.suffix in (".yml", ".yaml"))
    if not files:
        return ["no dashboard provider in monitoring/grafana/provisioning/dashboards/*.yml"]
    mounts = _compose_mounts(submission, directory)
    paths_seen = []
    for path in files:
        try:
            document = load_yaml(path.read_text(), path.name) or {}
        except HostileInput as exc:
            return [str(exc)]
        for provider in document.get("providers") or [] if isinstance(document, dict) else []:
            if not isinstance(provider, dict) or provider.get("type", "file") != "file":
                continue
            options = provider.get("options")
            target = str(options.get("path", "")) if isinstance(options, dict) else ""
            paths_seen.append(target)
            if PurePosixPath(target.removeprefix("./")) == PurePosixPath(directory) or any(
                PurePosixPath(target).is_relative_to(m) for m in mounts
            ):
                return []
    where = (
        f" (docker-compose.yml mounts {directory} at {sorted(mounts)})"
        if mounts
        else (f" (and no docker-compose.yml service mounts {directory})")
    )
    return [f"no file provider's options.path {paths_seen} is the dashboards directory{where}"]


def check_layout(
    workspace: Workspace,
    submission: Path,
    contract: Mapping[str, Any],
    dashboards: Sequence[Dashboard],
) -> Verdict:
    """Provisioned from files (half) and laid out as the module docstring says (half); no dashboard, nothing."""
    problems = [
        f"provisioning: {p}" for p in provisioning_problems(workspace, submission, contract)
    ]
    fraction = 0.0 if problems else 0.5
    if not dashboards:  # a provider with nothing to provision is a stub: nothing is awarded
        problems.append(
            "no dashboard JSON in monitoring/grafana/dashboards/ (export yours from Grafana)"
        )
        fraction = 0.0
    else:
        per_dashboard = {d.name: layout_problems(d.document) for d in dashboards}
        if any(not found for found in per_dashboard.values()):
            fraction += 0.5
        else:
            for name, found in per_dashboard.items():
                problems += [f"{name}: {p}" for p in found]
    if not problems:
        return Verdict(
            1.0,
            "Provisioned from files; rate, errors and duration on the top row, model panels below.",
        )
    return Verdict(fraction, _listed(problems))


def dashboard_pattern(contract: Mapping[str, Any]) -> str:
    """The contract's glob of dashboard files, relative to the repository."""
    return str(contract["prometheus"]["dashboards"])
