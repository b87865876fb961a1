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
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        name = variable.get("name")
        if not name:
            continue
        current = (variable.get("current") or {}).get("value")
        if isinstance(current, list):
            current = "|".join(str(v) for v in current)
        if current in (None, "", "$__all"):
            options = variable.get("options") or []
            current = options[0].get("value") if options else variable.get("query", "")
        values[name] = str(current if current is not None else "")
    return values


def substitute(expr: str, variables: Mapping[str, str]) -> str:
    """``expr`` with Grafana's built-in and the given template variables replaced."""
    known = {**variables, **BUILTINS}

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return known.get(name, match.group(0))

    return _VARIABLE.sub(replace, expr)


def _panels(panels: Any) -> Iterator[Mapping[str, Any]]:
    for panel in panels or []:
        yield panel
        yield from _panels(panel.get("panels"))  # panels inside collapsed rows


def dashboard_queries(dashboard: Mapping[str, Any]) -> list[PanelQuery]:
    """Every Prometheus query of every panel, nested rows included, ready to evaluate."""
    variables = variable_defaults(dashboard)
    queries = []
    for panel in _panels(dashboard.get("panels")):
        for target in panel.get("targets") or []:
            expr = target.get("expr")
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
