"""The result contract (result.schema.json) seen from the tests: which written keys it leaves
undeclared. An undeclared key is never type-checked when a stored run is read back."""

from __future__ import annotations

import json
from typing import Any

from appraisal.results.shape import SCHEMA


def undeclared(result: dict[str, Any]) -> list[str]:
    """The places in a result whose key result.schema.json does not declare."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return _undeclared(result, schema, schema["$defs"], "")


def _undeclared(value: Any, schema: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    """The places in `value` whose key the contract does not declare (so whose type is unchecked)."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("additionalProperties") == {}:
        return []  # declared open: any keys, any values
    missing: list[str] = []
    if isinstance(value, dict):
        declared, rest = schema.get("properties", {}), schema.get("additionalProperties")
        for key, item in value.items():
            if key in declared:
                missing += _undeclared(item, declared[key], defs, f"{where}.{key}")
            elif isinstance(rest, dict):
                missing += _undeclared(item, rest, defs, f"{where}.{key}")
            else:
                missing.append(f"{where}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            missing += _undeclared(item, schema["items"], defs, f"{where}[{i}]")
    return missing
