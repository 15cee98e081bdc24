"""Custom indicators: values a plugin computes itself, for what a measure cannot express.

A plugin registers a `CustomIndicator` through `register_indicators`. At run time it gets the
engine's locked-down connection (it can read the loaded tables and nothing else), the period,
the roster table and the scheme's `params`, and returns one result per appraisee. Results are
checked here, so a plugin's mistake is a clear error naming the plugin, not a wrong score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appraisal.errors import PluginError
from appraisal.registry import Registry, call_accepting, collect

if TYPE_CHECKING:
    import duckdb
    import pluggy

    from appraisal.periods import Period


@dataclass(frozen=True)
class CustomIndicator:
    """`compute(connection, period, roster, params, timezone)` returns per-appraisee results.

    `roster` is a `RosterTable` (table and key column names). The return value is a mapping
    from appraisee id to `(value, rows)` or `(value, rows, flags)`, or an iterable of
    `(appraisee, value, rows[, flags])` rows, or a DuckDB relation with those columns. `compute`
    is called with only the arguments it names.
    """

    name: str
    compute: Callable[..., Any]
    doc: str = ""
    plugin: str = ""


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


class CustomIndicatorRegistry(Registry[CustomIndicator]):
    kind = "custom indicator"

    def get(self, name: str) -> CustomIndicator:
        return self.require(name)


def collect_indicators(manager: pluggy.PluginManager) -> CustomIndicatorRegistry:
    return collect(manager, "register_indicators", CustomIndicatorRegistry())


def compute(
    indicator: CustomIndicator,
    *,
    connection: duckdb.DuckDBPyConnection,
    period: Period,
    roster: RosterTable,
    params: Mapping[str, Any],
    timezone: str,
) -> dict[str, CustomValue]:
    """Run the plugin and check its result: one `CustomValue` per appraisee it reported."""
    offered = {"connection": connection, "period": period, "roster": roster, "params": dict(params),
               "timezone": timezone}
    result = call_accepting(indicator.compute, offered, tuple(offered))
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
