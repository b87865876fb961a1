"""The PromQL of a Grafana dashboard, made evaluable by a plain Prometheus.

Grafana rewrites a panel's query before sending it: ``$__rate_interval``, ``$__interval`` and
``$__range`` (and their ``_ms``/``_s`` forms) become durations, and template variables take
their current values. :func:`dashboard_queries` applies the same substitutions, with the
dashboard's own defaults for its variables and fixed durations for Grafana's:

=====================  ============
``$__rate_interval``   ``1m``
``$__interval``        ``15s``
``$__range``           ``1h``
=====================  ============
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}
# $name, ${name}, ${name:format}, [[name]]
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel: where it is, what it says, what Prometheus gets."""

    panel: str
    ref_id: str
    expr: str
    promql: str


def variable_defaults(dashboard: Mapping[str, Any]) -> dict[str, str]:
    """Each template variable's current value (else its first option, else its query)."""
    values: dict[str, str] = {}
    templating = dashboard.get("templating")
    variables = templating.get("list") if isinstance(templating, Mapping) else None
    for variable in variables if isinstance(variables, list) else []:
        if not isinstance(variable, Mapping) or not isinstance(variable.get("name"), str):
            continue
        current = variable.get("current")
        current = current.get("value") if isinstance(current, Mapping) else None
        if isinstance(current, list):
            current = "|".join(str(v) for v in current)
        if current in (None, "", "$__all"):
            options = variable.get("options")
            first = options[0] if isinstance(options, list) and options else None
            current = (
                first.get("value") if isinstance(first, Mapping) else variable.get("query", "")
            )
        values[variable["name"]] = str(current if current is not None else "")
    return values


def substitute(expr: str, variables: Mapping[str, str]) -> str:
    """``expr`` with Grafana's built-in and the given template variables replaced."""
    known = {**variables, **BUILTINS}

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return known.get(name, match.group(0))

    return _VARIABLE.sub(replace, expr)


def _panels(panels: Any) -> Iterator[Mapping[str, Any]]:
    for panel in panels if isinstance(panels, list) else []:
        if isinstance(panel, Mapping):  # a dashboard is data: anything else is skipped
            yield panel
            yield from _panels(panel.get("panels"))  # panels inside collapsed rows


def dashboard_queries(dashboard: Mapping[str, Any]) -> list[PanelQuery]:
    """Every Prometheus query of every panel, nested rows included, ready to evaluate."""
    variables = variable_defaults(dashboard)
    queries = []
    for panel in _panels(dashboard.get("panels")):
        targets = panel.get("targets")
        for target in targets if isinstance(targets, list) else []:
            expr = target.get("expr") if isinstance(target, Mapping) else None
            if isinstance(expr, str) and expr.strip():
                queries.append(
                    PanelQuery(
                        panel=str(panel.get("title", panel.get("id", "?"))),
                        ref_id=str(target.get("refId", "")),
                        expr=expr,
                        promql=substitute(expr, variables),
                    )
                )
    return queries
