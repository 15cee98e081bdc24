"""Lint checks for map constants and their lookups, kept out of `lint` to keep it short.

JSON Schema already says a map constant is a flat, non-empty mapping to numbers or texts;
these add what it cannot say well: one kind of value per map (a lookup must have one type in
SQL), and a literal key that the map does not hold (`handling_target_h['logistic']`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appraisal.scheme.loading import KeyPath
from appraisal.suggestions import suggest


def map_constant_problems(path: KeyPath, value: Any) -> list[tuple[KeyPath, str]]:
    """A map constant whose values mix numbers and texts; nothing for a plain constant."""
    if not isinstance(value, Mapping):
        return []
    texts = [key for key, entry in value.items() if isinstance(entry, str)]
    numbers = [key for key, entry in value.items() if not isinstance(entry, str)]
    if texts and numbers:
        return [(
            (*path, texts[0] if len(texts) < len(numbers) else numbers[0]),
            (f"map constant {path[-1]!r} mixes numbers ({', '.join(numbers)}) and texts "
             f"({', '.join(texts)}); give every key a number, or every key a text"),
        )]
    return []


def unknown_key(name: str, key: str, entries: Mapping[str, Any]) -> str:
    """`unknown key 'logistic' in map constant 'target_h'; did you mean 'logistics'? (keys: ...)`.

    A key that is not in the map would silently give null on every row, so a literal one is
    refused here, where the author can still fix the spelling.
    """
    near = suggest(key, entries)
    known = ", ".join(entries)
    hint = f"; did you mean {near!r}? (keys: {known})" if near else f"; known keys: {known}"
    return f"unknown key {key!r} in map constant {name!r}{hint}"
