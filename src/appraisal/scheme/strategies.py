"""Strategy presets: re-weight a scheme's indicators by category (satisfaction-led, ...).

The presets are data (`schemes/_strategies.yaml`). Applied to the resolved document before
validation, so the weights every later stage sees, and `schemes show --resolved` prints, are
the re-weighted ones.
"""

from __future__ import annotations

from typing import Any

from appraisal.scheme.loading import Document, LoadError, load_file
from appraisal.shipped import schemes_dir
from appraisal.suggestions import suggest


def presets() -> dict[str, Any]:
    return dict(load_file(schemes_dir() / "_strategies.yaml").data)


def apply_strategy(document: Document) -> Document:
    """The document with its weights re-shared by its `strategy`, if it names one."""
    data = document.data
    if not isinstance(data, dict) or "strategy" not in data or not isinstance(data.get("indicators"), list):
        return document
    name = data["strategy"]
    table = presets()
    if not isinstance(name, str):
        raise LoadError([document.problem(("strategy",), f"strategy names a preset: {', '.join(table)}")])
    if name not in table:
        near = suggest(str(name), table)
        hint = f"did you mean {near!r}?" if near else f"known: {', '.join(table)}"
        raise LoadError([document.problem(("strategy",), f"unknown strategy {name!r}; {hint}")])
    shares: dict[str, float] = table[name]["shares"]
    indicators = [dict(i) if isinstance(i, dict) else i for i in data["indicators"]]
    weighted = [i for i in indicators if isinstance(i, dict) and _number(i.get("weight")) > 0]
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in weighted:
        if item.get("category") in shares:
            groups.setdefault(item["category"], []).append(item)
    if not groups:
        raise LoadError([document.problem(
            ("strategy",), f"strategy {name!r} re-weights by category, but no weighted indicator has a 'category'")])
    fixed = sum(_number(i["weight"]) for i in weighted if i.get("category") not in groups)
    total_share = sum(shares[c] for c in groups)
    for category, items in groups.items():
        budget = (100.0 - fixed) * shares[category] / total_share
        own = sum(_number(i["weight"]) for i in items)
        for item in items:
            item["weight"] = round(budget * _number(item["weight"]) / own, 2)
    drift = round(100.0 - sum(_number(i["weight"]) for i in weighted), 2)
    if drift:
        largest = max((i for group in groups.values() for i in group), key=lambda i: i["weight"])
        largest["weight"] = round(largest["weight"] + drift, 2)
    return Document(document.file, {**data, "indicators": indicators}, document.positions, document.key_positions,
                    document.digest)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
