"""SQL spellings and literals: what differs between engines, and how values reach a query.

`Dialect` holds every spelling that differs between SQL engines, in one table; another engine
is another instance. `SqlFragment` is SQL text with its `?` parameters in order, so fragments
concatenate safely; `bind_value` turns a literal into a parameter, `quote_identifier` quotes a
name so no name can end the identifier, and `inline_literal` writes a program-controlled text
into the statements an engine cannot prepare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from appraisal.errors import ExpressionError
from appraisal.expressions.kinds import Kind


@dataclass(frozen=True)
class SqlFragment:
    """SQL text with `?` placeholders and the values bound to them, in order.

    Placeholders are positional, so a query that groups by an expression should group by the
    column alias or position (`GROUP BY 1`), not repeat the fragment.
    """

    sql: str
    params: tuple[object, ...] = ()


@dataclass(frozen=True)
class SqlMap(SqlFragment):
    """A map constant handed back by the column resolver: only a subscript can use it.

    Its entries are kept as values (not SQL) so `MAP[key]` can bind each key and value as a
    parameter; `sql` is NULL so the map on its own never means anything in a query.
    """

    entries: tuple[tuple[str, object], ...] = ()


# The spaces a text loses at its ends when it is typed: the ASCII space and Unicode's space
# separators (no-break U+00A0, the em and thin spaces, ideographic U+3000), exactly what DuckDB's
# one-argument trim removes (tests/test_trimming.py); tabs and line breaks are kept. PostgreSQL's
# and Spark's trim remove the ASCII space alone, so their dialects name these.
SPACES = " \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"


@dataclass(frozen=True)
class Dialect:
    """Every spelling that differs between SQL engines, in one place.

    Templates use `{a}`/`{b}` for operands and `{x}` for a single argument. A template may name
    an operand several times: the emitter then passes a column reference, never a copy of a
    computed expression (see `Bindings`).
    """

    name: str
    quote: str = '"'
    number_param: str = "CAST(? AS DOUBLE)"
    text_param: str = "CAST(? AS VARCHAR)"
    timestamp_param: str = "CAST(? AS TIMESTAMP)"
    true: str = "TRUE"
    false: str = "FALSE"
    null: str = "NULL"
    # semantics.yaml: an operation whose result is not a finite number gives null
    finite: str = "CASE WHEN isfinite({x}) THEN {x} END"
    is_finite: str = "isfinite({x})"
    binary: dict[str, str] = field(default_factory=lambda: {
        "+": "({a} + {b})",
        "-": "({a} - {b})",
        "*": "({a} * {b})",
        "/": "({a} / CASE WHEN {b} <> 0 THEN {b} END)",
        "//": "floor({a} / CASE WHEN {b} <> 0 THEN {b} END)",
        "%": "({a} - {b} * floor({a} / CASE WHEN {b} <> 0 THEN {b} END))",
        "**": "pow({a}, {b})",
    })
    compare: dict[str, str] = field(default_factory=lambda: {
        "==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
    })
    # the difference of two timestamps (or dates) as seconds: whole microseconds subtracted
    # exactly, then divided, as Python's timedelta.total_seconds() does
    interval: str = "(CAST(epoch_us({a}) - epoch_us({b}) AS DOUBLE) / 1000000)"
    date_interval: str = (
        "(CAST(epoch_us(CAST({a} AS TIMESTAMP)) - epoch_us(CAST({b} AS TIMESTAMP)) AS DOUBLE) / 1000000)"
    )
    # the time from {b} to {a} exactly, in a type that sums exactly (whole microseconds), and an
    # exact total of those as seconds in a double (the business-hours functions)
    elapsed: str = "(epoch_us({a}) - epoch_us({b}))"
    elapsed_seconds: str = "(CAST({x} AS DOUBLE) / 1000000)"
    # whole numbers below and above a double, as doubles
    floor: str = "floor({x})"
    ceil: str = "ceil({x})"
    number_condition: str = "({x} <> 0)"
    date_part: str = "CAST(date_part('{part}', {x}) AS DOUBLE)"
    date_parts: dict[str, str] = field(default_factory=lambda: {
        "year": "year", "quarter": "quarter", "month": "month", "day": "day",
        "weekday": "isodow", "hour": "hour",
    })
    least: str = "least"
    greatest: str = "greatest"
    # a product and a quotient by a constant b of at least 1 (round's scaling, a duration in
    # hours): where the engine stops on overflow or underflow, its dialect guards them
    multiply: str = "({a} * {b})"
    divide: str = "({a} / {b})"
    # what ends the query of each layer of bound columns (appraisal.sql.emitter.Bindings): an
    # engine whose planner copies a layer's expressions into every use (PostgreSQL) needs a fence
    layer_fence: str = ""
    # how a CTE read twice is kept from being copied into memory whole (Spark never copies one)
    unmaterialized: str = " NOT MATERIALIZED"
    # statements (appraisal.sql.measures, datasets, quantiles). `exact`: a double as the decimal
    # that sums and means add (semantics.yaml: its value times 1e9, rounded half away from zero,
    # as DuckDB casts); `to_double`: such a decimal (or a sum of them) as the nearest double.
    exact: str = "CAST({x} AS DECIMAL(38, 9))"
    to_double: str = "CAST(CAST({x} AS VARCHAR) AS DOUBLE)"
    # an exact percentile as an aggregate and as a window function over each appraisee's rows;
    # None: the engine has neither with the table's interpolation, so it sorts (quantiles.py)
    quantile: str | None = "quantile_cont({x}, {p})"
    # typing a table that lives in the engine's database (appraisal.engines.tables): any value as
    # text that compares by code point; an instant as wall-clock time in a zone (`{zone}` a
    # literal); an interval as seconds (None: the engine's intervals are not read as durations)
    text_of: str = "CAST({x} AS VARCHAR)"
    trim: str = "trim({x})"  # a text without the SPACES at its ends
    name_bytes: int | None = None  # the engine keeps this much of a longer name (PostgreSQL: 63)
    local_time: str = "timezone({zone}, {x})"
    interval_seconds: str | None = "CAST(epoch({x}) AS DOUBLE)"
    # SQL types of the kinds, for a null of a known kind (`None + 1` is a null number)
    types: dict[str, str] = field(default_factory=lambda: {
        "number": "DOUBLE", "duration": "DOUBLE", "time interval": "DOUBLE", "text": "VARCHAR",
        "true/false value": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE",
    })

    @property
    def double(self) -> str:
        """The type name of a double."""
        return self.types["number"]

    def typed_null(self, kind: Kind) -> str:
        name = self.types.get(kind.value)
        return f"CAST(NULL AS {name})" if name else self.null

    def quote_identifier(self, name: str) -> str:
        """`"name"`, with an embedded quote doubled so no name can end the identifier."""
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def strict(self, function: str, args: Sequence[str]) -> str:
        """least/greatest that give null when any argument is null (semantics.yaml)."""
        nulls = " OR ".join(f"{a} IS NULL" for a in args)
        return f"(CASE WHEN {nulls} THEN NULL ELSE {function}({', '.join(args)}) END)"

    def strict_least(self, args: Sequence[str]) -> str:
        return self.strict(self.least, args)

    def strict_greatest(self, args: Sequence[str]) -> str:
        return self.strict(self.greatest, args)


DUCKDB = Dialect("duckdb")

ColumnResolver = Callable[[str], "str | SqlFragment"]


def quote_identifier(name: str, dialect: Dialect = DUCKDB) -> str:
    return dialect.quote_identifier(name)


def inline_literal(value: object) -> str:
    """A text or boolean written into SQL, for the statements DuckDB cannot prepare.

    `CREATE VIEW` and `COPY ... TO` take no parameters. Only values the program controls go
    here (checked file paths, reader options, a validated time-zone name), never expression
    text from a scheme; quotes are doubled.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def bind_value(value: object, dialect: Dialect = DUCKDB) -> SqlFragment:
    """A literal as a bound parameter (numbers as doubles); the column resolver can use it
    to pass a scheme constant into a row-level query. A map constant becomes a `SqlMap`."""
    if value is None:
        return SqlFragment(dialect.null)
    if value is True:
        return SqlFragment(dialect.true)
    if value is False:
        return SqlFragment(dialect.false)
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            return SqlFragment(dialect.null)
        return SqlFragment(dialect.number_param, (number,))
    if isinstance(value, str):
        return SqlFragment(dialect.text_param, (value,))
    if isinstance(value, Mapping):
        return SqlMap(dialect.null, (), tuple((str(k), v) for k, v in value.items()))
    raise ExpressionError(f"cannot use a value of type {type(value).__name__} in SQL")
