"""Custom indicators: values a plugin computes itself, for what a measure cannot express.

A plugin registers a `CustomIndicator` through `register_indicators`. At run time it gets an
`EngineSession` on the engine the datasets' queries run on (DuckDB, PostgreSQL, Spark: it can
read the scheme's tables there and nothing else), the period, the roster table and the
scheme's `params`, and returns one result per appraisee. An indicator says which engines its
SQL is written for (`engines`); a run or `validate --engine` on another engine is refused
before any file is read. Results are checked here, so a plugin's mistake is a clear error
naming the plugin, not a wrong score.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from appraisal.engines.remote import EMBEDDED
from appraisal.errors import DataError, PluginError
from appraisal.registry import Registry, call_accepting, collect

if TYPE_CHECKING:
    import pluggy

    from appraisal.engines.duckdb_engine import Engine
    from appraisal.periods import Period
    from appraisal.sql.dialect import Dialect

# what a `compute` whose signature cannot be read is given (the arguments of appraisal 0.1)
_BASICS = ("connection", "period", "roster", "params", "timezone")
ANY_ENGINE = "*"  # `engines=(ANY_ENGINE,)`: SQL written through the session's dialect, for every engine


@dataclass(frozen=True)
class CustomIndicator:
    """`compute(session, period, roster, params, timezone)` returns per-appraisee results.

    `session` is an `EngineSession`; `connection`, for an indicator that runs on DuckDB only,
    is the embedded engine's DuckDB connection. `roster` is a `RosterTable` (table and key
    column names). The return value is a mapping from appraisee id to `(value, rows)` or
    `(value, rows, flags)`, or an iterable of `(appraisee, value, rows[, flags])` rows, or a
    DuckDB relation with those columns. `compute` is called with only the arguments it names.
    `engines` are the engines its SQL runs on (`("duckdb", "postgres")`; `("*",)`: any).
    """

    name: str
    compute: Callable[..., Any]
    doc: str = ""
    plugin: str = ""
    engines: tuple[str, ...] = (EMBEDDED,)

    def runs_on(self, engine: str) -> bool:
        return ANY_ENGINE in self.engines or engine in self.engines

    def refusal(self, engine: str) -> str | None:
        """Why this indicator cannot run on `engine` (None: it can), for `validate` and `run`."""
        if self.runs_on(engine):
            return None
        return (f"custom indicator '{self.name}' (plugin '{self.plugin or 'unknown'}') runs on "
                f"{', '.join(self.engines) or 'no engine'}, not on {engine}; choose one of those engines "
                "(--engine) or a version of the plugin that supports this one")


@dataclass(frozen=True)
class RosterTable:
    """Where the roster is in the engine: its table and its (quoted-when-used) key column."""

    table: str
    key: str


@dataclass(frozen=True)
class CustomValue:
    value: float | None
    rows: int
    flags: tuple[str, ...] = ()


class EngineSession:
    """What a custom indicator's SQL runs on: the engine the run measures on, where the
    scheme's tables are (the datasets by name, `roster`).

    `execute(sql, params)` runs one query with `?` placeholders and returns its rows as
    tuples; `dialect` spells what differs between engines (`dialect.types["text"]`,
    `dialect.interval`); `window(period, column)` is the half-open filter of a period on a
    timestamp or date column, with its parameters, in this engine's spelling.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        described = engine.described()
        self.name: str = described["name"]
        self.version: str = described["version"]
        self.dialect: Dialect = engine.dialect

    def quote(self, name: str) -> str:
        """An identifier quoted for this engine (a name with a quote in it cannot escape)."""
        return self.dialect.quote_identifier(name)

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        found = self._engine.fetch(sql, params)
        return list(zip(*(column.to_pylist() for column in found.columns), strict=True))

    def window(self, period: Period, column: str) -> tuple[str, tuple[object, ...]]:
        """`column >= start AND column < end`: the period's local midnights (wall-clock
        timestamps, as every engine stores the scheme's timestamps); `column` already quoted."""
        bound = self.dialect.timestamp_param
        start, end = datetime.combine(period.start, time()), datetime.combine(period.end, time())
        return f"{column} >= {bound} AND {column} < {bound}", (start, end)


class CustomIndicatorRegistry(Registry[CustomIndicator]):
    kind = "custom indicator"

    def get(self, name: str) -> CustomIndicator:
        return self.require(name)


def collect_indicators(manager: pluggy.PluginManager) -> CustomIndicatorRegistry:
    return collect(manager, "register_indicators", CustomIndicatorRegistry())


def refusals(indicators: Iterable[tuple[str, Mapping[str, Any]]], registry: CustomIndicatorRegistry,
             engine: str) -> list[str]:
    """Why the custom indicators `(id, custom spec)` cannot run on `engine`: one message each (an
    unknown plugin is a `DataError` of the registry's)."""
    found = []
    for indicator_id, custom in indicators:
        if (reason := registry.get(str(custom["plugin"])).refusal(engine)) is not None:
            found.append(f"indicator '{indicator_id}': {reason}")
    return found


def compute(
    indicator: CustomIndicator,
    *,
    engine: Engine,
    period: Period,
    roster: RosterTable,
    params: Mapping[str, Any],
    timezone: str,
) -> dict[str, CustomValue]:
    """Run the plugin and check its result: one `CustomValue` per appraisee it reported."""
    session = EngineSession(engine)
    if session.name != EMBEDDED and "connection" in _named(indicator.compute):
        raise PluginError(f"custom indicator '{indicator.name}' (plugin '{indicator.plugin or 'unknown'}') takes "
                          f"'connection', DuckDB's, but the run measures on {session.name}; it should take "
                          "'session', which runs its SQL on any engine")
    offered = {"connection": engine.connection, "session": session, "period": period, "roster": roster,
               "params": dict(params), "timezone": timezone}
    try:
        result = call_accepting(indicator.compute, offered, _BASICS)
    except DataError as exc:  # the engine refused the plugin's SQL: say whose it was
        raise PluginError(f"custom indicator '{indicator.name}' (plugin '{indicator.plugin or 'unknown'}'): {exc}"
                          ) from None
    if hasattr(result, "fetchall"):
        result = result.fetchall()
    rows: Iterable[tuple[Any, ...]]
    if isinstance(result, Mapping):
        rows = [(key, *(value if isinstance(value, tuple) else (value, 1))) for key, value in result.items()]
    else:
        rows = result
    out: dict[str, CustomValue] = {}
    for row in rows:
        out[str(row[0])] = _checked(indicator, tuple(row))
    return out


def _checked(indicator: CustomIndicator, row: tuple[Any, ...]) -> CustomValue:
    where = f"custom indicator '{indicator.name}' (plugin '{indicator.plugin or 'unknown'}')"
    if len(row) not in (3, 4):
        raise PluginError(f"{where} returned {row!r}; expected (appraisee, value, rows[, flags])")
    _, value, count, *rest = row
    if isinstance(value, Decimal) and value.is_finite():  # PostgreSQL's numeric, Spark's DECIMAL
        value = float(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value != value):
        # NaN is no number: the engine orders it above every number, Python's min and max do not,
        # so a NaN would score differently in SQL and in the reference. No value is None.
        raise PluginError(f"{where} returned the value {value!r} for {row[0]!r}; expected a number or None")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise PluginError(f"{where} returned the row count {count!r} for {row[0]!r}; expected a whole number >= 0")
    flags = rest[0] if rest else ()
    if isinstance(flags, str) or not all(isinstance(flag, str) for flag in flags or ()):
        raise PluginError(f"{where} returned flags {flags!r} for {row[0]!r}; expected a list of texts")
    return CustomValue(None if value is None else float(value), count, tuple(flags or ()))


def _named(function: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()
