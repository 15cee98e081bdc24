"""The hooks a plugin can implement. Built-ins implement them too (see `default_plugins`).

Hooks are register-callbacks: the host passes `register`, so it can de-duplicate names and
report clashes instead of silently letting one plugin shadow another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    from appraisal.engines.remote import EngineKind
    from appraisal.engines.sources import SourceReader
    from appraisal.expressions.functions import Function
    from appraisal.measuring.custom import CustomIndicator
    from appraisal.scheme.packs import Pack

hookspec = pluggy.HookspecMarker("appraisal")
hookimpl = pluggy.HookimplMarker("appraisal")


@hookspec
def register_functions(register: Callable[[Function], None]) -> None:
    """Add expression functions: call `register(function)` with an `appraisal.Function`."""


@hookspec
def register_sources(register: Callable[[SourceReader], None]) -> None:
    """Add data sources: call `register(reader)` with an `appraisal.SourceReader`.

    A reader loads one declared file (or database) into a DuckDB table of raw rows; the engine
    then coerces the declared columns. Its `name` is what a scheme writes as `source:`.
    """


@hookspec
def register_indicators(register: Callable[[CustomIndicator], None]) -> None:
    """Add custom indicators: call `register(indicator)` with an `appraisal.CustomIndicator`.

    For what the measure language cannot say (a repeat within N days, a ranking): the plugin
    computes values itself, in SQL on the engine's connection, and returns value, row count and
    flags per appraisee. A scheme names it as `custom: {plugin: NAME, params: {...}}`.
    """


@hookspec
def register_packs(register: Callable[[Pack], None]) -> None:
    """Add scheme packs: call `register(pack)` with an `appraisal.Pack`.

    A pack brings a folder of schemes, optionally template overrides and a demo-data
    generator; `appraisal schemes list` shows its schemes, and a scheme can `extends` them.
    """


@hookspec
def register_engines(register: Callable[[EngineKind], None]) -> None:
    """Add engines: call `register(kind)` with an `appraisal.engines.remote.EngineKind`.

    An engine runs the row-level queries of a measurement (`appraisal run --engine NAME`): the
    embedded DuckDB ships the typed tables to it, each dataset's query is compiled in its
    `Dialect`, and a row per appraisee comes back (docs/engines.md).
    """
