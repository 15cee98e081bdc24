"""Lint checks of what a scheme asks of plugins beyond expressions and sources: each custom
indicator's plugin is registered, and, for a chosen engine (`validate --engine`), runs there.

Kept out of `lint` to keep it short. A run checks the same before it reads a file
(`appraisal.measuring.measurements`); here the problem gets its file and line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appraisal.errors import Problem
    from appraisal.measuring.custom import CustomIndicatorRegistry
    from appraisal.scheme.loading import Document
    from appraisal.scheme.schema_parts import SetAside


def custom_problems(
    document: Document, indicators: CustomIndicatorRegistry, engine: str | None, aside: SetAside,
) -> list[Problem]:
    """An unknown custom indicator plugin; with `engine`, a plugin that cannot run on it."""
    found = []
    for i, spec in enumerate(document.data.get("indicators", [])):
        custom: Any = spec.get("custom") if isinstance(spec, dict) else None
        if ("indicators", i) in aside.items or not isinstance(custom, dict) or "plugin" not in custom:
            continue
        path, name = ("indicators", i, "custom", "plugin"), str(custom["plugin"])
        if name not in indicators:
            found.append(document.problem(path, f"unknown custom indicator '{name}'; {indicators.hint(name)}"))
        elif engine is not None and (reason := indicators[name].refusal(engine)) is not None:
            found.append(document.problem(path, reason))
    return found
