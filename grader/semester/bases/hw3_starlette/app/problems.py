"""Turn msgspec's errors into the contract's 422 body (FastAPI's ``{"detail": [...]}`` shape)."""

from __future__ import annotations

import re

import msgspec

PATH = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
WHERE = re.compile(r" - at `(\$[^`]*)`$")
FIELD = re.compile(r"field `([^`]+)`")


class Unprocessable(Exception):
    """A request body that breaks the contract; ``items`` is the 422's ``detail`` list."""

    def __init__(self, items: list[dict]) -> None:
        super().__init__(items[0]["msg"])
        self.items = items


def _loc(path: str, prefix: list) -> list:
    loc = list(prefix)
    for name, index in PATH.findall(path):
        loc.append(name if name else int(index))
    return loc


def _kind(message: str) -> str:
    if message.startswith("Object missing required field"):
        return "missing"
    if message.startswith("Object contains unknown field"):
        return "extra_forbidden"
    if "got `null`" in message:
        return "none_not_allowed"
    if message.startswith("Invalid enum value"):
        return "literal_error"
    if "length" in message:
        return "string_too_long" if "<=" in message else "string_too_short"
    if ">=" in message or "<=" in message:
        return "range_error"
    return "type_error"


def explain(error: msgspec.ValidationError, prefix: list) -> Unprocessable:
    """One detail item naming the field: missing and unknown fields are added to the loc."""
    text = str(error)
    match = WHERE.search(text)
    message = text[: match.start()] if match else text
    loc = _loc(match.group(1) if match else "$", prefix)
    kind = _kind(message)
    named = FIELD.search(message)
    if kind in ("missing", "extra_forbidden") and named:
        loc.append(named.group(1))
    return Unprocessable([{"loc": loc, "msg": message, "type": kind}])


def not_json(reason: str) -> Unprocessable:
    """The body could not be parsed as JSON at all."""
    return Unprocessable(
        [{"loc": ["body"], "msg": f"JSON decode error: {reason}", "type": "json_invalid"}]
    )
