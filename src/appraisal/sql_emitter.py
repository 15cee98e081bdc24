"""Compile a checked expression to SQL: quoted identifiers, bound literals, one dialect table.

Row-level work runs inside the database, so filters and measure expressions become SQL
fragments. No literal text from a scheme is ever pasted into SQL: every number and text is a
`?` parameter, in the order the placeholders appear, so fragments concatenate safely.
Everything engine-specific is a field of `Dialect`; another engine is another instance.
"""

from __future__ import annotations

import ast
import math
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from appraisal.errors import ExpressionError
from appraisal.expressions import Expression
from appraisal.functions import FunctionRegistry


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


def _strict(function: str) -> str:
    return (
        "list_reduce([{args}], lambda l_, r_: CASE WHEN l_ IS NULL OR r_ IS NULL THEN NULL "
        f"ELSE {function}(l_, r_) END)"
    )


@dataclass(frozen=True)
class Dialect:
    """Every spelling that differs between SQL engines, in one place.

    Templates use `{a}`/`{b}` for operands and `{x}` for a single argument; `finite` turns
    NaN and infinities into NULL (semantics.yaml: they become null).
    """

    name: str
    quote: str = '"'
    number_param: str = "CAST(? AS DOUBLE)"
    text_param: str = "CAST(? AS VARCHAR)"
    timestamp_param: str = "CAST(? AS TIMESTAMP)"
    true: str = "TRUE"
    false: str = "FALSE"
    null: str = "NULL"
    finite: str = (
        "nullif(nullif(nullif({x}, CAST('inf' AS DOUBLE)), CAST('-inf' AS DOUBLE)), "
        "CAST('nan' AS DOUBLE))"
    )
    binary: dict[str, str] = field(default_factory=lambda: {
        "+": "({a} + {b})",
        "-": "({a} - {b})",
        "*": "({a} * {b})",
        "/": "({a} / nullif({b}, 0))",
        "//": "floor({a} / nullif({b}, 0))",
        "%": "fmod({a}, nullif({b}, 0))",
        "**": "pow({a}, {b})",
    })
    compare: dict[str, str] = field(default_factory=lambda: {
        "==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
    })
    epoch_seconds: str = "epoch({x})"
    date_part: str = "CAST(date_part('{part}', {x}) AS DOUBLE)"
    date_parts: dict[str, str] = field(default_factory=lambda: {
        "year": "year", "quarter": "quarter", "month": "month", "day": "day",
        "weekday": "isodow", "hour": "hour",
    })
    round: str = "round({x}, CAST({n} AS INTEGER))"
    # The text a map constant is looked up by (expressions.map_key): a text as is, true/false
    # as 'true'/'false', a number printed as a double without a trailing '.0', else NULL.
    map_key: str = (
        "(CASE WHEN typeof({k}) = 'VARCHAR' OR typeof({k}) = 'BOOLEAN' THEN CAST({k} AS VARCHAR) "
        "WHEN typeof({k}) IN ('DOUBLE', 'FLOAT', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', "
        "'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT') "
        "AND isfinite(TRY_CAST({k} AS DOUBLE)) "
        "THEN regexp_replace(CAST(TRY_CAST({k} AS DOUBLE) + 0.0 AS VARCHAR), '\\.0$', '') END)"
    )
    least: str = _strict("least")
    greatest: str = _strict("greatest")

    def quote_identifier(self, name: str) -> str:
        """`"name"`, with an embedded quote doubled so no name can end the identifier."""
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def strict_least(self, args: Sequence[str]) -> str:
        return self.least.replace("{args}", ", ".join(args))

    def strict_greatest(self, args: Sequence[str]) -> str:
        return self.greatest.replace("{args}", ", ".join(args))


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


def to_sql(
    expr: Expression,
    *,
    column: ColumnResolver,
    functions: FunctionRegistry,
    dialect: Dialect = DUCKDB,
) -> SqlFragment:
    """Compile `expr`; `column(name)` gives the SQL for each name it uses.

    The resolver returns SQL text (typically a quoted, qualified column) or a `SqlFragment`
    (for a constant bound as a parameter). Numeric columns must come back as DOUBLE, which
    the table requires (`CAST("score" AS DOUBLE)`); see `docs/semantics.md`.
    """
    return _Emitter(column, functions, dialect).emit(expr.tree.body)


def _fill(template: str, **parts: SqlFragment) -> SqlFragment:
    """Substitute fragments into a template, collecting parameters in placeholder order.

    Walking the template (rather than the arguments) keeps `?` and params aligned even when
    a template repeats or reorders its operands.
    """
    sql: list[str] = []
    params: list[object] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        sql.append(literal)
        if name is not None:
            sql.append(parts[name].sql)
            params.extend(parts[name].params)
    return SqlFragment("".join(sql), tuple(params))


class _Emitter:
    def __init__(self, column: ColumnResolver, functions: FunctionRegistry, dialect: Dialect):
        self.column = column
        self.functions = functions
        self.dialect = dialect

    def emit(self, node: ast.AST) -> SqlFragment:
        method = getattr(self, f"emit_{type(node).__name__}", None)
        if method is None:  # the checker refuses these before we get here
            raise ExpressionError(f"{type(node).__name__} cannot be compiled to SQL")
        return method(node)

    def emit_Constant(self, node: ast.Constant) -> SqlFragment:
        return bind_value(node.value, self.dialect)

    def emit_Name(self, node: ast.Name) -> SqlFragment:
        resolved = self.column(node.id)
        return resolved if isinstance(resolved, SqlFragment) else SqlFragment(resolved)

    def emit_Subscript(self, node: ast.Subscript) -> SqlFragment:
        """`CASE key WHEN 'k1' THEN v1 ... END`: keys and values bound, a missing key NULL."""
        name = node.value.id  # type: ignore[attr-defined]
        resolved = self.column(name)
        if not isinstance(resolved, SqlMap) or not resolved.entries:
            raise ExpressionError(
                f"'{name}' is not a map constant, so '{ast.unparse(node)}' cannot be compiled"
            )
        key = _fill(self.dialect.map_key, k=self.emit(node.slice))
        whens = [
            _fill(" WHEN {k} THEN {v}", k=bind_value(k, self.dialect), v=bind_value(v, self.dialect))
            for k, v in resolved.entries
        ]
        return self.join([key, *whens], "", wrap="(CASE {} END)")

    def finite(self, fragment: SqlFragment) -> SqlFragment:
        return _fill(self.dialect.finite, x=fragment)

    def emit_BinOp(self, node: ast.BinOp) -> SqlFragment:
        symbol = _SYMBOLS[type(node.op)]
        left, right = self.emit(node.left), self.emit(node.right)
        combined = _fill(self.dialect.binary[symbol], a=left, b=right)
        if symbol == "-" and isinstance(node.left, ast.Name) and isinstance(node.right, ast.Name):
            # may be timestamp - timestamp (an interval), which has no infinity to guard
            return combined
        return self.finite(combined)

    def emit_UnaryOp(self, node: ast.UnaryOp) -> SqlFragment:
        operand = self.emit(node.operand)
        template = {ast.USub: "(- {x})", ast.UAdd: "(+ {x})", ast.Not: "(NOT {x})"}
        return _fill(template[type(node.op)], x=operand)

    def emit_BoolOp(self, node: ast.BoolOp) -> SqlFragment:
        word = " AND " if isinstance(node.op, ast.And) else " OR "
        return self.join([self.emit(v) for v in node.values], word)

    @staticmethod
    def join(parts: list[SqlFragment], separator: str, wrap: str = "({})") -> SqlFragment:
        sql = separator.join(p.sql for p in parts)
        params = tuple(p for part in parts for p in part.params)
        return SqlFragment(wrap.format(sql), params)

    def emit_Compare(self, node: ast.Compare) -> SqlFragment:
        left = self.emit(node.left)
        pieces: list[SqlFragment] = []
        for op, comparator in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                elements = comparator.elts  # type: ignore[attr-defined]
                options = self.join([self.emit(e) for e in elements], ", ")
                word = "IN" if isinstance(op, ast.In) else "NOT IN"
                pieces.append(_fill(f"({{a}} {word} {{b}})", a=left, b=options))
                continue
            right = self.emit(comparator)
            symbol = self.dialect.compare[_SYMBOLS[type(op)]]
            pieces.append(_fill(f"({{a}} {symbol} {{b}})", a=left, b=right))
            left = right
        return pieces[0] if len(pieces) == 1 else self.join(pieces, " AND ")

    def emit_IfExp(self, node: ast.IfExp) -> SqlFragment:
        return _fill(
            "(CASE WHEN {c} THEN {a} ELSE {b} END)",
            c=self.emit(node.test), a=self.emit(node.body), b=self.emit(node.orelse),
        )

    def emit_Call(self, node: ast.Call) -> SqlFragment:
        function = self.functions[node.func.id]  # type: ignore[attr-defined]
        args = [self.emit(argument) for argument in node.args]
        # the function's emitter sees placeholder names, so its text can be filled in order
        names = [f"arg{i}" for i in range(len(args))]
        template = function.sql(["{" + name + "}" for name in names], self.dialect)
        return _fill(template, **dict(zip(names, args)))


_SYMBOLS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
