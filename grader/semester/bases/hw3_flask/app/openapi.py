"""The service's OpenAPI 3.1 document, generated from the contract (hw3's routes, their query and
path parameters included), and an offline docs page.

OpenAPI 3.1 uses JSON Schema 2020-12, so the contract's ``$defs`` become
``components/schemas`` unchanged apart from their ``$ref`` targets.
"""

from __future__ import annotations

import copy
from typing import Any

REF_PREFIX = "#/$defs/"
COMPONENTS = "#/components/schemas/"


# Shown in the request bodies (and sent by API tools such as schemathesis' examples phase).
EXAMPLE_CUSTOMER: dict[str, Any] = {
    "customer_id": "5575-GNVDE",
    "female": 0,
    "senior_citizen": 0,
    "partner": 0,
    "dependents": 0,
    "tenure": 34,
    "phone_service": 1,
    "multiple_lines": "No",
    "internet_service": "DSL",
    "online_security": "Yes",
    "online_backup": "No",
    "device_protection": "Yes",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "One year",
    "paperless_billing": 0,
    "payment_method": "Mailed check",
    "monthly_charges": 56.95,
    "total_charges": 1889.5,
}
EXAMPLES = {"Customer": EXAMPLE_CUSTOMER, "BatchRequest": {"customers": [EXAMPLE_CUSTOMER]}}


def _rewrite_refs(node: Any) -> Any:
    """Point every ``#/$defs/X`` reference at ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {
            k: (COMPONENTS + v[len(REF_PREFIX) :])
            if k == "$ref" and isinstance(v, str) and v.startswith(REF_PREFIX)
            else _rewrite_refs(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _operation_id(method: str, path: str) -> str:
    words = [w for w in path.replace(".", "_").split("/") if w]
    return "_".join([method.lower(), *words]) or method.lower()


def build_openapi(contract: dict[str, Any], version: str) -> dict[str, Any]:
    """An OpenAPI 3.1 document describing exactly the contract's endpoints."""
    schemas = _rewrite_refs(copy.deepcopy(contract["$defs"]))
    paths: dict[str, dict[str, Any]] = {}
    for ep in contract["endpoints"]:
        operation: dict[str, Any] = {
            "summary": ep["summary"],
            "operationId": _operation_id(ep["method"], ep["path"]),
            "responses": {},
        }
        parameters = [
            {
                "name": name,
                "in": where,
                "required": where == "path",
                "description": spec.get("description", ""),
                "schema": {k: v for k, v in spec.items() if k != "description"},
            }
            for where, key in (("query", "query"), ("path", "path_parameters"))
            for name, spec in ep.get(key, {}).items()
        ]
        if parameters:
            operation["parameters"] = parameters
        if "request" in ep:
            media: dict[str, Any] = {"schema": _rewrite_refs({"$ref": ep["request"]})}
            example = EXAMPLES.get(ep["request"].rsplit("/", 1)[-1])
            if example is not None:
                media["example"] = example
            operation["requestBody"] = {"required": True, "content": {"application/json": media}}
        for code, ref in ep["responses"].items():
            name = ref.rsplit("/", 1)[-1]
            # JSON unless the schema names another media type (/metrics: text/plain).
            media_type = schemas[name].get("contentMediaType", "application/json")
            operation["responses"][code] = {
                "description": schemas[name].get("title", name),
                "content": {media_type: {"schema": _rewrite_refs({"$ref": ref})}},
            }
        paths.setdefault(ep["path"], {})[ep["method"].lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Churn prediction service (Flask + PostgreSQL)",
            "version": version,
            "description": contract.get("title", ""),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


# A deliberately small page: no Swagger UI bundle, no CDN, so it works offline. It fetches
# /openapi.json and lists the operations with their request and response schemas.
DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Churn service API (minimal offline docs)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
code, pre { background: #f4f4f4; padding: 0 .2rem; }
pre { padding: .5rem; overflow-x: auto; }
h2 { border-bottom: 1px solid #ccc; }
.method { font-weight: bold; text-transform: uppercase; }
</style>
</head>
<body>
<h1>Churn service API</h1>
<p>Minimal offline documentation page (not Swagger UI): it renders the service's
<a href="/openapi.json">/openapi.json</a>. Load that document into any OpenAPI tool for
an interactive client.</p>
<div id="ops">Loading /openapi.json&hellip;</div>
<script>
fetch("/openapi.json").then(r => r.json()).then(doc => {
  const out = document.getElementById("ops");
  out.textContent = "";
  const show = (obj) => JSON.stringify(obj, null, 2);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const h = document.createElement("h2");
      h.innerHTML = `<span class="method">${method}</span> <code>${path}</code>`;
      out.appendChild(h);
      const p = document.createElement("p");
      p.textContent = op.summary || "";
      out.appendChild(p);
      const pre = document.createElement("pre");
      pre.textContent = show({requestBody: op.requestBody, responses: op.responses});
      out.appendChild(pre);
    }
  }
  const h = document.createElement("h2");
  h.textContent = "Schemas";
  out.appendChild(h);
  const pre = document.createElement("pre");
  pre.textContent = show(doc.components.schemas);
  out.appendChild(pre);
}).catch(err => { document.getElementById("ops").textContent = "Could not load: " + err; });
</script>
</body>
</html>
"""
