"""Load a homework's machine-readable service contract and render it for humans."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from grader.errors import UsageError
from grader.paths import CONTRACTS_DIR


@cache
def load_contract(homework: str) -> dict[str, Any]:
    """Return the contract (JSON Schema ``$defs`` plus endpoints and limits) of ``homework``."""
    path = CONTRACTS_DIR / f"{homework}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CONTRACTS_DIR.glob("*.json")))
        raise UsageError(f"no contract for homework {homework!r} (known: {known})")
    return json.loads(path.read_text())


def schema_for(contract: dict[str, Any], name: str) -> dict[str, Any]:
    """A standalone JSON Schema for ``$defs[name]`` that still resolves ``#/$defs/...`` references."""
    return {"$defs": contract["$defs"], "$ref": f"#/$defs/{name}"}


def ref_name(ref: str) -> str:
    """``"#/$defs/Prediction"`` -> ``"Prediction"``."""
    return ref.rsplit("/", 1)[-1]


def render_contract_markdown(contract: dict[str, Any]) -> str:
    """Markdown tables of the endpoints, limits and the customer features of a contract."""
    lines = ["| Method | Path | Request | Responses | Purpose |", "|---|---|---|---|---|"]
    for ep in contract["endpoints"]:
        request = ref_name(ep["request"]) if "request" in ep else "—"
        responses = ", ".join(f"{code} `{ref_name(ref)}`" for code, ref in ep["responses"].items())
        lines.append(
            f"| `{ep['method']}` | `{ep['path']}` | {request} | {responses} | {ep['summary']} |"
        )
    lines += ["", "| Limit | Value |", "|---|---|"]
    lines += [f"| `{key}` | {value} |" for key, value in contract["limits"].items()]
    customer = contract["$defs"]["Customer"]
    lines += ["", "| Feature | Type | Allowed values | Required |", "|---|---|---|---|"]
    for name, spec in customer["properties"].items():
        kind = spec.get("type", "")
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        if "enum" in spec:
            allowed = ", ".join(f"`{v}`" for v in spec["enum"])
        elif "minimum" in spec or "maximum" in spec:
            allowed = f"{spec.get('minimum', '')} … {spec.get('maximum', '')}"
        else:
            allowed = f"length ≤ {spec['maxLength']}" if "maxLength" in spec else ""
        required = "yes" if name in customer["required"] else "no"
        lines.append(f"| `{name}` | {kind} | {allowed} | {required} |")
    return "\n".join(lines) + "\n"


def render_observability_markdown(contract: dict[str, Any]) -> str:
    """Markdown tables of a contract's ``observability`` section: metrics, logs, alerts."""
    observability = contract["observability"]
    metrics = observability["metrics"]
    lines = ["| Metric | Type | Labels | What |", "|---|---|---|---|"]
    for family in metrics["families"]:
        labels = ", ".join(f"`{label}`" for label in family["labels"]) or "—"
        lines.append(
            f"| `{family['name']}` | {family['type']} | {labels} | {family['description']} |"
        )
    counted = "are" if metrics["counts_metrics_requests"] else "are **not**"
    lines += [
        "",
        f"* `route`: {metrics['route_label']} Unmatched paths: `{metrics['unmatched_route']}`.",
        f"* `status`: {metrics['status_label']}; `method`: {metrics['method_label']}.",
        f"* Requests to `{metrics['path']}` itself {counted} counted.",
        "",
        "| Log field | Meaning |",
        "|---|---|",
    ]
    logs = observability["logs"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in logs["fields"].items()]
    request_line = logs["request_line"]
    lines += [
        f"| `message` = `{request_line['message']}` | {request_line['description']}, also with: "
        + ", ".join(f"`{name}` ({meaning})" for name, meaning in request_line["fields"].items())
        + " |",
        "",
        "| Alert | `severity` | `for` at most | Fires when |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{alert['name']}` | `{alert['severity']}` | {alert['max_for']} | {alert['fires_when']}"
        + (f"; quiet when {alert['stays_quiet_when']}" if "stays_quiet_when" in alert else "")
        + " |"
        for alert in observability["alerts"]
    ]
    header = contract["response_headers"]["X-Request-ID"]
    lines += ["", f"`X-Request-ID` on {header['on']}: {header['description']}"]
    return "\n".join(lines) + "\n"
