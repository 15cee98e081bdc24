"""The parts of a scheme that passed the JSON Schema, so the lint can check them too.

An author should see every problem at once, not the schema's first and, once those are fixed,
the lint's. But the lint reads values the schema vouched for (a weight is a number, an indicator
has an id), so it cannot run over a part that failed. The failed parts are set aside, whole:
an indicator, a dataset, a constant, an exclusion, a gate or an adjustment by itself, any other
top-level key (the roster, the grades, ...) entirely. The lint then checks what is left and
knows what was set aside, so it never reports a follow-on of a schema problem: the names of
set-aside indicators, datasets and constants still count as declared, references into a
set-aside dataset are not followed, and the weights are not summed while an indicator is out.

List items keep their indices (a problem in `gates[2]` must say `gates[2]`), so the lint skips
the set-aside ones (`SetAside.items`) instead of seeing a shorter list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from appraisal.scheme.loading import Document, KeyPath

_BY_NAME = ("datasets", "constants")
_BY_ITEM = ("indicators", "exclusions", "gates", "adjustments")


@dataclass(frozen=True)
class SetAside:
    """What failed the schema, by part; empty when the whole document passed."""

    keys: frozenset[str] = frozenset()  # top-level keys that failed or are missing
    items: frozenset[KeyPath] = frozenset()  # list items that failed: ("indicators", 2), ("gates", 0)
    indicators: frozenset[str] = frozenset()  # ids of set-aside indicators: still names formulas may use
    datasets: frozenset[str] = frozenset()  # names of set-aside datasets: references to them are not followed
    constants: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # as written

    @property
    def names_unsure(self) -> bool:
        """True when a whole list of names is out, so no expression's names can be checked."""
        return bool({"constants", "indicators"} & self.keys)

    @property
    def indicators_incomplete(self) -> bool:
        """True when some indicator is out, so their weights cannot be summed."""
        return "indicators" in self.keys or any(path[0] == "indicators" for path in self.items)


def passed_parts(
    document: Document, failed: Iterable[KeyPath], required: Iterable[str]
) -> tuple[Document, SetAside] | None:
    """The document without the parts at or above the `failed` key paths, and what was set aside;
    None when the document is not a mapping at all (nothing to lint)."""
    data = document.data
    if not isinstance(data, dict):
        return None
    keys = {key for key in required if key not in data}
    items: set[tuple[str | int, int]] = set()
    named: dict[str, set[str]] = {top: set() for top in _BY_NAME}
    for path in failed:
        if not path:  # the top level itself: a missing key (above) or an unknown one (never read)
            continue
        top, part = path[0], path[1] if len(path) > 1 else None
        if top in _BY_NAME and isinstance(data.get(top), dict) and part in data[top]:
            named[top].add(str(part))
        elif top in _BY_ITEM and isinstance(data.get(top), list) and isinstance(part, int):
            items.add((top, part))
        else:
            keys.add(str(top))
    kept = {key: value for key, value in data.items() if key not in keys}
    for top, names in named.items():
        if names and top in kept:
            kept[top] = {name: value for name, value in kept[top].items() if name not in names}
    indicators, declared = data.get("indicators"), data.get("constants")
    listed: list[Any] = indicators if isinstance(indicators, list) else []
    ids = [listed[i].get("id") for top, i in items if top == "indicators" and isinstance(listed[i], dict)]
    constants: dict[str, Any] = declared if isinstance(declared, dict) else {}
    aside = SetAside(
        keys=frozenset(keys),
        items=frozenset(items),
        indicators=frozenset(i for i in ids if isinstance(i, str)),
        datasets=frozenset(named["datasets"]),
        constants=MappingProxyType({name: constants[name] for name in named["constants"]}),
    )
    return Document(document.file, kept, document.positions, document.key_positions, document.digest), aside
