"""Measured values kept in the engine: one wide table with a row per key and three columns per
indicator (value, rows, flags), built by joins.

At 100,000 appraisees a Python object per cell costs seconds. So each dataset query's result
is kept as a temporary table, its data-quality counts are aggregates over it, and every
indicator's value, row count and flags are joined onto the keys (roster members, or groups) in
one table: `measure --csv` copies that table out (`appraisal.results.values_csv`), and
`cells` reads it into Python where a caller wants objects.

Values come out as Python's `float()` of what the query returned would: a DECIMAL goes through
its text (DuckDB's own DECIMAL to DOUBLE cast is not always the nearest double), row counts are
truncated to whole numbers as `int()` truncates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from appraisal.sql.dialect import inline_literal
from appraisal.sql.dialect import quote_identifier as q

if TYPE_CHECKING:
    from appraisal.engines.duckdb_engine import Engine
    from appraisal.sql.query import CompiledQuery

# (value, rows, flags) of one cell, as the wide table holds it
Raw = tuple["float | None", int, tuple[str, ...]]


@dataclass(frozen=True)
class Column:
    """The n-th indicator of a wide table: its columns are `v{n}` (value), `r{n}` (rows), `f{n}` (flags)."""

    indicator: str
    source: str


@dataclass(frozen=True)
class Wide:
    """A temporary table: `__row` (the keys' order), `appraisee` (the key), each column's three,
    and `a{n}` for each amount read per appraisee from a dataset (a target, a bonus base, sales)."""

    table: str
    columns: tuple[Column, ...]
    amounts: tuple[str, ...] = ()


@dataclass
class WideTable:
    """A wide table being put together: the keys, then what each indicator joins from.

    `keys` is a query with `__key` (text) and `__row` (its order); parts are joined with
    `LEFT JOIN`, so every key gets a row and a key no part has gets NULL: insufficient data."""

    engine: Engine
    name: str
    keys: str
    joins: list[str] = field(default_factory=list)
    selects: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, str] = field(default_factory=dict)
    _count: int = 0

    def keep(self, query: CompiledQuery, *, here: bool = False) -> str:
        """Run `query` into a temporary table of its own and return the table's name: on the
        engine that measures (a remote one, if attached), or `here` in the embedded DuckDB."""
        table = self._table()
        self.engine.keep(query, table, here=here)
        return table

    def from_dataset(self, table: str, indicators: Sequence[str], source: str) -> None:
        """Indicators whose `{id}__value` and `{id}__rows` a dataset query put in `table`."""
        alias = self._join(table, lambda j: f"{j}.appraisee = k.__key AND {j}.on_roster")
        types = dict(self._described(table))
        for indicator in indicators:
            value, rows = f"{indicator}__value", f"{indicator}__rows"
            self._add(indicator, source, _double(f"{alias}.{q(value)}", types[value]),
                      _whole(f"{alias}.{q(rows)}"), "[]")

    def from_ratings(self, table: str, indicators: Sequence[str]) -> None:
        """Rated indicators from the ratings query's table (appraisee, indicator, value, rows, flags)."""
        described = self._described(table)
        appraisee, indicator_column, value, rows, flags = (q(name) for name, _ in described)
        value_type = described[2][1]
        for indicator in indicators:
            literal = inline_literal(indicator)
            alias = self._join(table, lambda j, literal=literal: (  # type: ignore[misc]
                f"{j}.{appraisee} = k.__key AND {j}.{indicator_column} = {literal}"))
            self._add(indicator, "ratings", _double(f"{alias}.{value}", value_type), _whole(f"{alias}.{rows}"),
                      f"coalesce(CAST({alias}.{flags} AS VARCHAR[]), [])")

    def from_values(self, indicator: str, source: str, values: Mapping[str, Raw]) -> None:
        """An indicator whose values a plugin computed in Python, by key."""
        table = self._table()
        keys = list(values)
        found = [values[k] for k in keys]
        self.engine.connection.execute(
            f"CREATE TEMP TABLE {table} AS SELECT unnest($1::VARCHAR[]) AS appraisee, unnest($2::DOUBLE[]) AS value,"
            " unnest($3::BIGINT[]) AS rows, unnest($4::VARCHAR[][]) AS flags",
            [keys, [v[0] for v in found], [v[1] for v in found], [list(v[2]) for v in found]],
        ).fetchall()
        alias = self._join(table, lambda j: f"{j}.appraisee = k.__key")
        self._add(indicator, source, f"{alias}.value", _whole(f"{alias}.rows"), f"coalesce({alias}.flags, [])")

    def from_amounts(self, table: str, names: Sequence[str]) -> None:
        """Amounts (`{name}__target`) a dataset query put in `table`, a row per roster member."""
        alias = self._join(table, lambda j: f"{j}.appraisee = k.__key")
        types = dict(self._described(table))
        for name in names:
            column = f"{name}__target"
            self.amounts[name] = _double(f"{alias}.{q(column)}", types[column])

    def constant(self, indicator: str, source: str) -> None:
        """An indicator with no value for any key (a plugin's indicator in a group row)."""
        self._add(indicator, source, "CAST(NULL AS DOUBLE)", "CAST(0 AS BIGINT)", "CAST([] AS VARCHAR[])")

    def build(self, order: Sequence[str]) -> Wide:
        """The table, its columns in `order` (the scheme's order of the indicators measured)."""
        columns = []
        for n, indicator in enumerate(order):
            value, rows, flags = self.selects[indicator]
            columns.append(f"{value} AS v{n}, {rows} AS r{n}, CAST({flags} AS VARCHAR[]) AS f{n}")
        columns += [f"{amount} AS a{n}" for n, amount in enumerate(self.amounts.values())]
        self.engine.connection.execute(
            f"CREATE TEMP TABLE {self.name} AS SELECT k.__row, k.__key AS appraisee"
            + "".join(f", {c}" for c in columns)
            + f" FROM ({self.keys}) AS k " + " ".join(self.joins)
        ).fetchall()
        return Wide(self.name, tuple(Column(i, self.sources[i]) for i in order), tuple(self.amounts))

    def _described(self, table: str) -> list[tuple[str, str]]:
        """(name, type) of each column of `table`."""
        found = self.engine.connection.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
        return [(str(name), str(kind)) for name, kind in found]

    def _table(self) -> str:
        self._count += 1
        return f"{self.name}_{self._count}"

    def _join(self, table: str, on: Callable[[str], str]) -> str:
        """Join `table` under a fresh alias; `on` makes the join condition from the alias."""
        alias = f"j{len(self.joins)}"
        self.joins.append(f"LEFT JOIN {table} AS {alias} ON {on(alias)}")
        return alias

    def _add(self, indicator: str, source: str, value: str, rows: str, flags: str) -> None:
        self.selects[indicator] = (value, rows, flags)
        self.sources[indicator] = source


def cells(engine: Engine, wide: Wide) -> Iterator[tuple[str, list[Raw]]]:
    """(key, [(value, rows, flags) per column]) for every row, in the keys' order."""
    # An empty list costs DuckDB as much to hand over as a full one: NULL for none is 3x faster.
    selects = ", ".join(f"v{n}, r{n}, CASE WHEN len(f{n}) > 0 THEN f{n} END" for n in range(len(wide.columns)))
    cursor = engine.connection.execute(f"SELECT appraisee, {selects} FROM {wide.table} ORDER BY __row")
    positions = [(1 + 3 * n, 2 + 3 * n, 3 + 3 * n) for n in range(len(wide.columns))]
    for row in cursor.fetchall():
        yield row[0], [(row[v], row[r], tuple(row[f]) if row[f] else ()) for v, r, f in positions]


def amounts(engine: Engine, wide: Wide) -> dict[tuple[str, str], float | None]:
    """Every amount of `wide`, by (key, name)."""
    if not wide.amounts:
        return {}
    selects = ", ".join(f"a{n}" for n in range(len(wide.amounts)))
    rows = engine.connection.execute(f"SELECT appraisee, {selects} FROM {wide.table}").fetchall()
    return {(row[0], name): row[1 + n] for row in rows for n, name in enumerate(wide.amounts)}


def quality_sums(engine: Engine, table: str) -> tuple[dict[str, int], int, list[str]]:
    """A dataset table's data-quality counts: each `q__` column's sum over every appraisee (a row
    shared by n appraisees adds 1/n to each, so the sums are rounded), the kept rows of
    appraisees not on the roster, and the first three of those appraisees, as examples."""
    names = [row[0] for row in engine.connection.execute(f"DESCRIBE {table}").fetchall()]
    counts = [name for name in names if name.startswith("q__")]
    sums = ", ".join(f"sum({q(name)})" for name in counts)
    [row] = engine.connection.execute(
        f"SELECT {sums}, sum(q__kept) FILTER (WHERE NOT on_roster) FROM {table}").fetchall()
    strangers = engine.connection.execute(
        f"SELECT CAST(appraisee AS VARCHAR) FROM {table} WHERE NOT on_roster AND appraisee IS NOT NULL"
        " AND coalesce(q__kept, 0) <> 0 ORDER BY appraisee LIMIT 3").fetchall()
    totals = {name: round(float(total or 0)) for name, total in zip(counts, row, strict=False)}
    return totals, round(float(row[-1] or 0)), [s for (s,) in strangers]


def _double(column: str, kind: str) -> str:
    """`column` as the double Python's `float()` makes of the value DuckDB hands over."""
    if kind == "DOUBLE":
        return column
    if kind.startswith("DECIMAL"):
        return f"CAST(CAST({column} AS VARCHAR) AS DOUBLE)"
    return f"CAST({column} AS DOUBLE)"


def _whole(column: str) -> str:
    return f"coalesce(CAST(trunc({column}) AS BIGINT), 0)"
