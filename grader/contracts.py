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
