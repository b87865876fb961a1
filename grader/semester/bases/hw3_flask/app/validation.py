"""Request validation driven by the contract's JSON Schema, reporting errors in FastAPI's shape.

The contract (``app/contract.json``, a copy of the course's hw2 contract) is the single source
of the rules: the ``Customer`` schema's types, enums, bounds and lengths are compiled once into
one small check per field. Errors use the same ``type``/``msg`` strings as pydantic v2, so a
client sees the body FastAPI would send::

    {"detail": [{"type": "greater_than_equal", "loc": ["body", "tenure"],
                 "msg": "Input should be greater than or equal to 0", "input": -1}]}

Semantics are JSON Schema's (the contract's), which is stricter than pydantic's lax mode: a
string ``"5"`` or ``true`` is not an integer here. A number with a zero fraction (``5.0``) is an
integer, as JSON Schema says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONTRACT_PATH = Path(__file__).resolve().parent / "contract.json"

Loc = list[str | int]
ErrorItem = dict[str, Any]
Problem = tuple[str, str, dict[str, Any] | None]  # (type, msg, ctx)
# A field check returns (cleaned value, None) or (None, problem).
Check = Callable[[Any], tuple[Any, Problem | None]]


class RequestValidationError(Exception):
    """Raised with the list of error items; the app turns it into a 422 response."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def error(
    loc: Loc, kind: str, msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> ErrorItem:
    """One FastAPI-style error item."""
    item = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        item["ctx"] = ctx
    return item


def _num(x: float) -> str:
    """Render a bound the way pydantic does (``0``, ``1000``, ``0.5``)."""
    return str(int(x)) if float(x).is_integer() else repr(x)


def _expected(values: list[Any]) -> str:
    """``'a', 'b' or 'c'`` / ``0 or 1`` as in pydantic's literal_error message."""
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _chars(n: int) -> str:
    return f"{n} character" if n == 1 else f"{n} characters"


def compile_field(spec: dict[str, Any]) -> Check:
    """Build the check of one property from its JSON Schema (the subset the contract uses)."""
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    nullable = "null" in types
    base = next((t for t in types if t != "null"), None)
    enum = spec.get("enum")
    lo, hi = spec.get("minimum"), spec.get("maximum")
    min_len, max_len = spec.get("minLength"), spec.get("maxLength")
    literal: Problem | None = None
    if enum is not None:
        expected = _expected(enum)
        literal = ("literal_error", f"Input should be {expected}", {"expected": expected})

    def check(value: Any) -> tuple[Any, Problem | None]:
        if value is None and nullable:
            return None, None
        if base == "integer":
            if isinstance(value, float):
                if not value.is_integer():
                    msg = "Input should be a valid integer, got a number with a fractional part"
                    return None, ("int_from_float", msg, None)
                value = int(value)
            if not _is_int(value):
                return None, literal or ("int_type", "Input should be a valid integer", None)
        elif base == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                return None, ("float_type", "Input should be a valid number", None)
        elif base == "string" and not isinstance(value, str):
            return None, literal or ("string_type", "Input should be a valid string", None)
        elif base == "string" and (not _encodable(value) or "\x00" in value):
            # JSON may escape a lone surrogate (\ud800) or NUL (\u0000): PostgreSQL text can hold
            # neither, so such a string is invalid input (422), never a failed insert (500).
            msg = "Input should be a valid string without NUL characters or lone surrogates"
            return None, ("string_unicode", msg, None)
        if literal is not None and value not in enum:
            return None, literal
        if lo is not None and value < lo:
            msg = f"Input should be greater than or equal to {_num(lo)}"
            return None, ("greater_than_equal", msg, {"ge": lo})
        if hi is not None and value > hi:
            msg = f"Input should be less than or equal to {_num(hi)}"
            return None, ("less_than_equal", msg, {"le": hi})
        if min_len is not None and len(value) < min_len:
            msg = f"String should have at least {_chars(min_len)}"
            return None, ("string_too_short", msg, {"min_length": min_len})
        if max_len is not None and len(value) > max_len:
            msg = f"String should have at most {_chars(max_len)}"
            return None, ("string_too_long", msg, {"max_length": max_len})
        if base == "number":
            try:  # after the range checks, so a huge JSON integer fails them instead
                value = float(value)
            except OverflowError:
                return None, ("finite_number", "Input should be a finite number", None)
        return value, None

    return check


class ContractValidator:
    """Validates Customer and BatchRequest bodies against the contract."""

    def __init__(self, contract: dict[str, Any]) -> None:
        self.contract = contract
        customer = contract["$defs"]["Customer"]
        required = set(customer["required"])
        self.fields: list[tuple[str, bool, Check]] = [
            (name, name in required, compile_field(spec))
            for name, spec in customer["properties"].items()
        ]
        self.known = set(customer["properties"])
        batch = contract["$defs"]["BatchRequest"]["properties"]["customers"]
        self.min_batch: int = batch["minItems"]
        self.max_batch: int = batch["maxItems"]

    @classmethod
    def load(cls, path: Path = CONTRACT_PATH) -> ContractValidator:
        return cls(json.loads(path.read_text()))

    def customer(self, obj: Any, loc: Loc, errors: list[ErrorItem]) -> dict[str, Any] | None:
        """A cleaned customer record, or None after appending its errors to ``errors``."""
        if not isinstance(obj, dict):
            errors.append(_not_an_object(loc, obj))
            return None
        clean: dict[str, Any] = {}
        before = len(errors)
        for name, required, check in self.fields:
            if name not in obj:
                if required:
                    errors.append(error([*loc, name], "missing", "Field required", obj))
                else:
                    clean[name] = None
                continue
            value, problem = check(obj[name])
            if problem is None:
                clean[name] = value
            else:
                kind, msg, ctx = problem
                errors.append(error([*loc, name], kind, msg, obj[name], ctx))
        for name, value in obj.items():
            if name not in self.known:
                errors.append(_extra(loc, name, value))
        return clean if len(errors) == before else None

    def predict_body(self, body: Any) -> dict[str, Any]:
        """Validate a POST /predict body; raise RequestValidationError on any problem."""
        errors: list[ErrorItem] = []
        clean = self.customer(body, ["body"], errors)
        if clean is None:
            raise RequestValidationError(errors)
        return clean

    def batch_body(self, body: Any) -> list[dict[str, Any]]:
        """Validate a POST /predict/batch body; raise RequestValidationError on any problem."""
        if not isinstance(body, dict):
            raise RequestValidationError([_not_an_object(["body"], body)])
        loc: Loc = ["body", "customers"]
        extras = [_extra(["body"], k, v) for k, v in body.items() if k != "customers"]
        if "customers" not in body:
            raise RequestValidationError([error(loc, "missing", "Field required", body), *extras])
        items = body["customers"]
        if not isinstance(items, list):
            problem = error(loc, "list_type", "Input should be a valid list", items)
            raise RequestValidationError([problem, *extras])
        n = len(items)
        if n < self.min_batch:
            msg = f"List should have at least {self.min_batch} item after validation, not {n}"
            ctx = {"field_type": "List", "min_length": self.min_batch, "actual_length": n}
            raise RequestValidationError([error(loc, "too_short", msg, items, ctx), *extras])
        if n > self.max_batch:
            # Rejected before any item is read; the (large) input is not echoed back.
            msg = f"List should have at most {self.max_batch} items after validation, not {n}"
            ctx = {"field_type": "List", "max_length": self.max_batch, "actual_length": n}
            raise RequestValidationError([error(loc, "too_long", msg, None, ctx), *extras])
        errors: list[ErrorItem] = []
        cleaned = [self.customer(item, [*loc, i], errors) for i, item in enumerate(items)]
        if errors or extras:
            raise RequestValidationError(errors + extras)
        return cleaned  # type: ignore[return-value]


def _not_an_object(loc: Loc, value: Any) -> ErrorItem:
    msg = "Input should be a valid dictionary or object to extract fields from"
    return error(loc, "model_attributes_type", msg, value)


def _extra(loc: Loc, name: str, value: Any) -> ErrorItem:
    return error([*loc, name], "extra_forbidden", "Extra inputs are not permitted", value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 would otherwise become infinity
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _json_error(pos: int, reason: str) -> RequestValidationError:
    item = error(["body", pos], "json_invalid", "JSON decode error", {})
    return RequestValidationError([{**item, "ctx": {"error": reason}}])


def parse_json(raw: bytes) -> Any:
    """Strict JSON (no NaN, Infinity or out-of-range numbers); raise RequestValidationError."""
    try:
        return json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise _json_error(exc.pos, exc.msg) from None
    except (ValueError, RecursionError) as exc:  # bad UTF-8, NaN, huge numbers, deep nesting
        raise _json_error(0, str(exc)[:200]) from None
