"""The shape of result.json, checked before a stored run is used.

A run folder can be truncated, edited or written by something else; `explain` and `render`
must then say so, not fail somewhere deep in a template. `schema/result.schema.json` is the
contract (a JSON Schema, for tools as well). A general validator takes most of a second on a
run of 50 appraisees, so this module compiles the small part of JSON Schema the contract uses
(`type`, `const`, `enum`, `required`, `properties`, `additionalProperties`, `items` and local `$ref`) into
plain functions, once, and runs those: a few milliseconds per 50 appraisees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parent / "result.schema.json"

Check = Callable[[Any, str], None]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
    "boolean": (bool,), "null": (type(None),),
}
_NAMES = {"object": "an object", "array": "a list", "string": "a text", "integer": "a whole number",
          "number": "a number", "boolean": "true or false", "null": "null"}


class Damaged(Exception):
    """The value at `where` (`appraisees[3].cells[0].score`) is not what the contract says."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where or 'the top level'}: {problem}")
        self.where, self.problem = where, problem


def found(value: Any) -> str:
    """What a value is, in words (never the value itself: it may be long or hold anything)."""
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, _TYPES[name]):
            return _NAMES[name]
    return type(value).__name__


def _is(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def check(data: Any) -> None:
    """Raise `Damaged` for the first place where `data` breaks the contract."""
    _compiled()(data, "")


@cache
def _compiled() -> Check:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    definitions: dict[str, Check] = {}
    defs = schema.get("$defs", {})

    def ref(name: str) -> Check:
        def deferred(value: Any, where: str) -> None:
            definitions[name](value, where)
        return deferred

    for name, part in defs.items():
        definitions[name] = _compile(part, ref)
    return _compile(schema, ref)


def _compile(schema: Mapping[str, Any], ref: Callable[[str], Check]) -> Check:
    checks: list[Check] = []
    if "$ref" in schema:
        checks.append(ref(schema["$ref"].removeprefix("#/$defs/")))
    if "type" in schema:
        names = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
        types = tuple(t for name in names for t in _TYPES[name])
        expected = " or ".join(_NAMES[name] for name in names)

        def typed(value: Any, where: str) -> None:
            if not _is(value, types):
                raise Damaged(where, f"expected {expected}, found {found(value)}")
        checks.append(typed)
    if "const" in schema:
        constant = schema["const"]

        def fixed(value: Any, where: str) -> None:
            if value != constant:
                raise Damaged(where, f"expected {constant!r}")
        checks.append(fixed)
    if "enum" in schema:
        allowed = list(schema["enum"])

        def listed(value: Any, where: str) -> None:
            if value not in allowed:
                raise Damaged(where, f"expected one of {', '.join(map(repr, allowed))}")
        checks.append(listed)
    if "required" in schema or "properties" in schema or "additionalProperties" in schema:
        checks.append(_object(schema, ref))
    if "items" in schema:
        item = _compile(schema["items"], ref)

        def each(value: Any, where: str) -> None:
            if isinstance(value, list):
                for i, element in enumerate(value):
                    item(element, f"{where}[{i}]")
        checks.append(each)
    if len(checks) == 1:
        return checks[0]

    def every(value: Any, where: str) -> None:
        for one in checks:
            one(value, where)
    return every


def _object(schema: Mapping[str, Any], ref: Callable[[str], Check]) -> Check:
    required = list(schema.get("required", ()))
    properties = {key: _compile(part, ref) for key, part in schema.get("properties", {}).items()}
    others = schema.get("additionalProperties")
    other = _compile(others, ref) if isinstance(others, Mapping) else None

    def members(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            return  # `type` says what it should be
        for key in required:
            if key not in value:
                raise Damaged(where, f"the key {key!r} is missing")
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if key in properties:
                properties[key](item, inner)
            elif other is not None:
                other(item, inner)
    return members
