"""Build request bodies for hidden cases (large ones are described in the suite, built here)."""

from __future__ import annotations

import json
from typing import Any


def build_body(case: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, str]:
    """(body bytes, content type) for a case with ``body``, ``raw``, ``raw_hex`` or ``generate``."""
    content_type = case.get("content_type", "application/json")
    if "body" in case:
        return json.dumps(case["body"]).encode(), content_type
    if "raw" in case:
        return case["raw"].encode(), content_type
    if "raw_hex" in case:
        return bytes.fromhex(case["raw_hex"]), content_type
    spec = case.get("generate", {})
    if "nested_depth" in spec:
        depth = int(spec["nested_depth"])
        return ("[" * depth + "]" * depth).encode(), content_type
    if "batch_copies" in spec:
        return json.dumps({"customers": [base] * int(spec["batch_copies"])}).encode(), content_type
    if "long_field" in spec:
        return json.dumps(
            {**base, spec["long_field"]: "M" * int(spec["length"])}
        ).encode(), content_type
    return b"", content_type
