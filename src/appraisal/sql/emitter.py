"""Compile a checked expression to SQL: quoted identifiers, bound literals, one dialect table.

Row-level work runs inside the database, so filters and measure expressions become SQL
fragments. No literal text from a scheme is ever pasted into SQL: every number and text is a
`?` parameter, in the order the placeholders appear, so fragments concatenate safely.
Everything engine-specific is a field of `Dialect`; another engine is another instance.

The semantics table (semantics.yaml) is emitted as its reference formulas (`%` as
a - b * floor(a / b), `round` as half away from zero), never as an engine built-in whose
meaning drifts between versions. A formula that needs an operand more than once gets the
operand as a column computed one layer below (`Bindings`), so the SQL grows linearly with
the expression, never exponentially (an engine may expand `nullif(x, y)` or `CASE x WHEN`
into several copies of x, so those copies must be column references).
"""

from __future__ import annotations

import ast
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from appraisal.errors import ExpressionError
from appraisal.expressions.functions import FunctionRegistry
from appraisal.expressions.kinds import Kind, KindError, map_value_kind, unary, value_kind
from appraisal.expressions.kinds import arithmetic as arithmetic_kind
from appraisal.expressions.kinds import call as call_kind
from appraisal.expressions.kinds import comparison as comparison_kind
from appraisal.expressions.kinds import condition as condition_kind
from appraisal.expressions.kinds import if_else as if_else_kind
from appraisal.expressions.kinds import map_key as map_key_kind
from appraisal.expressions.parsing import Expression, literal_number, map_key
from appraisal.sql.dialect import DUCKDB, ColumnResolver, Dialect, SqlFragment, SqlMap, bind_value


@dataclass(frozen=True)
class _Sql:
    """An emitted node: its SQL, parameters, kind, the layer of the deepest binding it reads
    (0: only the row's own columns), and whether it may be written more than once as it is
    (a column, a parameter, a binding: no computation is repeated)."""

    sql: str
    params: tuple[object, ...]
    kind: Kind
    level: int = 0
    simple: bool = False

    def fragment(self) -> SqlFragment:
        return SqlFragment(self.sql, self.params)


class Bindings:
    """Columns computed in layers below a query, so every operand's SQL is written once.

    Layer 1 is computed from the row's own columns, layer 2 from those and layer 1, and so
    on: `ctes` or `wrap` put the layers between the data and the query that uses the
    expressions. The same SQL bound twice is one column (a common subexpression).
    """

    def __init__(self, prefix: str = "__e") -> None:
        self.prefix = prefix
        self.layers: list[list[tuple[str, SqlFragment]]] = []
        self._seen: dict[tuple[str, tuple[object, ...]], _Sql] = {}

    def __bool__(self) -> bool:
        return bool(self.layers)

    def bind(self, node: _Sql) -> _Sql:
        key = (node.sql, node.params)
        found = self._seen.get(key)
        if found is not None:
            return found
        level = node.level + 1
        while len(self.layers) < level:
            self.layers.append([])
        name = f"{self.prefix}{len(self._seen) + 1}"
        self.layers[level - 1].append((name, node.fragment()))
        bound = _Sql(f'"{name}"', (), node.kind, level, simple=True)
        self._seen[key] = bound
        return bound

    def names(self) -> list[str]:
        return [name for layer in self.layers for name, _ in layer]

    def select(self, layer: list[tuple[str, SqlFragment]]) -> SqlFragment:
        columns = [_join([f, SqlFragment(f' AS "{name}"')], "") for name, f in layer]
        return _join([SqlFragment(""), *columns], ", ") if layer else SqlFragment("")

    def wrap(self, source: SqlFragment, alias: str = "__layer", fence: str = "") -> SqlFragment:
        """A FROM item: `source` (a table, or a parenthesised query without an alias) with
        every layer's columns added, under an alias (`alias0` when nothing is bound). `fence`
        ends each layer's query (the dialect's `layer_fence`)."""
        result = _join([source, SqlFragment(f" AS {alias}0")], "")
        for n, layer in enumerate(self.layers, start=1):
            result = _join([SqlFragment("(SELECT *"), self.select(layer), SqlFragment(" FROM "), result,
                            SqlFragment(f"{fence}) AS {alias}{n}")], "")
        return result

    def ctes(self, source: str, prefix: str, fence: str = "") -> tuple[SqlFragment, str]:
        """`, prefix1 AS (SELECT *, ... FROM source), prefix2 AS (...)` and the last CTE's name
        (`source` itself when nothing is bound); `fence` ends each, as in `wrap`."""
        parts: list[SqlFragment] = []
        previous = source
        for n, layer in enumerate(self.layers, start=1):
            name = f"{prefix}{n}"
            parts.append(_join([SqlFragment(f", {name} AS (SELECT *"), self.select(layer),
                                SqlFragment(f" FROM {previous}{fence})")], ""))
            previous = name
        return _join(parts, ""), previous


def to_sql(
    expr: Expression,
    *,
    column: ColumnResolver,
    functions: FunctionRegistry,
    kinds: Mapping[str, Kind],
    bindings: Bindings,
    dialect: Dialect = DUCKDB,
    bind: bool = False,
) -> SqlFragment:
    """Compile `expr`; `column(name)` gives the SQL for each name it uses, `kinds` its kind.

    The resolver returns SQL text (typically a quoted column) or a `SqlFragment` (a constant
    bound as a parameter). Numeric columns must come back as DOUBLE, which the table requires
    (`CAST("score" AS DOUBLE)`); see `docs/semantics.md`. The result may read columns of
    `bindings`: put its layers under the query (`Bindings.ctes` or `Bindings.wrap`). With
    `bind`, the result is itself a column of `bindings` (or a plain column or parameter), so
    the caller may write it several times.
    """
    emitter = _Emitter(column, functions, kinds, bindings, dialect)
    node = emitter.emit(expr.tree.body)
    if node.kind is Kind.NULL:
        node = emitter.null(Kind.NUMBER)
    return (bindings.bind(node) if bind and not node.simple else node).fragment()


def to_sql_kind(
    expr: Expression,
    *,
    column: ColumnResolver,
    functions: FunctionRegistry,
    kinds: Mapping[str, Kind],
    bindings: Bindings,
    dialect: Dialect = DUCKDB,
) -> tuple[SqlFragment, Kind]:
    """`to_sql` with the kind of what it gives, for a caller that must treat a number, a
    true/false value and a text differently (scheme-level formulas: `appraisal.sql.scoring`)."""
    emitter = _Emitter(column, functions, kinds, bindings, dialect)
    node = emitter.emit(expr.tree.body)
    return node.fragment(), node.kind


def to_condition(
    expr: Expression,
    *,
    column: ColumnResolver,
    functions: FunctionRegistry,
    kinds: Mapping[str, Kind],
    bindings: Bindings,
    dialect: Dialect = DUCKDB,
) -> SqlFragment:
    """`to_sql` for a filter: a true/false SQL value (a number is true when it is not 0)."""
    emitter = _Emitter(column, functions, kinds, bindings, dialect)
    return emitter.condition(emitter.emit(expr.tree.body)).fragment()


def select_expression(
    expr: Expression,
    source: SqlFragment,
    *,
    column: ColumnResolver,
    functions: FunctionRegistry,
    kinds: Mapping[str, Kind],
    dialect: Dialect = DUCKDB,
) -> SqlFragment:
    """`SELECT <expr> FROM <source>`, the layers the expression needs in between: one
    expression over the rows of a table or a parenthesised query (tools, tests, explain)."""
    bindings = Bindings()
    value = to_sql(expr, column=column, functions=functions, kinds=kinds, bindings=bindings, dialect=dialect)
    return _join([SqlFragment("SELECT "), value, SqlFragment(" FROM "),
                  bindings.wrap(source, fence=dialect.layer_fence)], "")


def _join(fragments: Sequence[SqlFragment], separator: str) -> SqlFragment:
    return SqlFragment(separator.join(f.sql for f in fragments), tuple(p for f in fragments for p in f.params))


class _Emitter:
    def __init__(
        self, column: ColumnResolver, functions: FunctionRegistry, kinds: Mapping[str, Kind],
        bindings: Bindings, dialect: Dialect,
    ) -> None:
        self.column = column
        self.functions = functions
        self.kinds = kinds
        self.bindings = bindings
        self.dialect = dialect

    def fill(self, template: str, kind: Kind, **parts: _Sql) -> _Sql:
        """Substitute nodes into a template, parameters in placeholder order; a node the
        template names more than once is bound first, so only its column is repeated."""
        pieces = list(string.Formatter().parse(template))
        uses: dict[str, int] = {}
        for _literal, name, _spec, _conv in pieces:
            if name is not None:
                uses[name] = uses.get(name, 0) + 1
        ready = {
            name: self.bindings.bind(node) if uses.get(name, 0) > 1 and not node.simple else node
            for name, node in parts.items()
        }
        sql: list[str] = []
        params: list[object] = []
        for literal, name, _spec, _conv in pieces:
            sql.append(literal)
            if name is not None:
                sql.append(ready[name].sql)
                params.extend(ready[name].params)
        level = max((ready[name].level for name in uses), default=0)
        return _Sql("".join(sql), tuple(params), kind, level)

    def emit(self, node: ast.AST) -> _Sql:
        method = getattr(self, f"emit_{type(node).__name__}", None)
        if method is None:  # the checker refuses these before we get here
            raise ExpressionError(f"{type(node).__name__} cannot be compiled to SQL")
        try:
            result: _Sql = method(node)
        except KindError as error:
            raise ExpressionError(f"'{ast.unparse(node)}': {error.message}") from None
        return result

    def null(self, kind: Kind) -> _Sql:
        """A null of a known kind: what an operation on the literal None gives (semantics.yaml:
        null propagates), typed so that the engine can choose functions and operators."""
        return _Sql(self.dialect.typed_null(kind), (), kind, simple=True)

    def condition(self, node: _Sql) -> _Sql:
        condition_kind(node.kind)
        if node.kind is Kind.NULL:
            return self.null(Kind.FLAG)
        if node.kind in (Kind.NUMBER, Kind.DURATION):
            return self.fill(self.dialect.number_condition, Kind.FLAG, x=node)
        return node

    def emit_Constant(self, node: ast.Constant) -> _Sql:
        fragment = bind_value(node.value, self.dialect)
        return _Sql(fragment.sql, fragment.params, value_kind(node.value), simple=True)

    def emit_Name(self, node: ast.Name) -> _Sql:
        resolved = self.column(node.id)
        kind = self.kinds.get(node.id, Kind.ANY)
        if isinstance(resolved, SqlFragment):
            return _Sql(resolved.sql, resolved.params, kind, simple=True)
        return _Sql(resolved, (), kind, simple=True)

    def emit_Subscript(self, node: ast.Subscript) -> _Sql:
        """A map constant's entry: the key compared with each entry's key as the table says
        (texts as texts, numbers as numbers, true/false as 'true'/'false'); null otherwise."""
        name = node.value.id  # type: ignore[attr-defined]  # the checker allows only MAP[key]
        resolved = self.column(name)
        if not isinstance(resolved, SqlMap) or not resolved.entries:
            raise ExpressionError(f"'{name}' is not a map constant, so '{ast.unparse(node)}' cannot be compiled")
        key = self.emit(node.slice)
        map_key_kind(key.kind, name)
        values = dict(resolved.entries)
        kind = map_value_kind(values)
        if key.kind is Kind.NULL:
            return self.null(kind)
        if key.kind is Kind.TEXT:
            entries = [(bind_value(k, self.dialect), v) for k, v in resolved.entries]
        elif key.kind in (Kind.NUMBER, Kind.DURATION):
            entries = [(bind_value(float(k), self.dialect), v) for k, v in resolved.entries if _number_key(k)]
        elif key.kind is Kind.FLAG:
            flags = [(self.dialect.true, values["true"])] if "true" in values else []
            flags += [(self.dialect.false, values["false"])] if "false" in values else []
            entries = [(SqlFragment(sql), v) for sql, v in flags]
        elif key.kind is Kind.ANY:
            raise ExpressionError(f"cannot tell the kind of the key in '{ast.unparse(node)}'")
        else:
            entries = []
        if not entries:
            return _Sql(self.dialect.null, (), kind, simple=True)
        parts: dict[str, _Sql] = {"k": key}
        template = ["(CASE"]
        for n, (entry, value) in enumerate(entries):
            bound = bind_value(value, self.dialect)
            parts[f"e{n}"] = _Sql(entry.sql, entry.params, key.kind, simple=True)
            parts[f"v{n}"] = _Sql(bound.sql, bound.params, kind, simple=True)
            template.append(f" WHEN {{k}} = {{e{n}}} THEN {{v{n}}}")
        template.append(" END)")
        return self.fill("".join(template), kind, **parts)

    def finite(self, node: _Sql) -> _Sql:
        return self.fill(self.dialect.finite, node.kind, x=node)

    def emit_BinOp(self, node: ast.BinOp) -> _Sql:
        symbol = _SYMBOLS[type(node.op)]
        left, right = self.emit(node.left), self.emit(node.right)
        kind = arithmetic_kind(symbol, left.kind, right.kind, (ast.unparse(node.left), ast.unparse(node.right)))
        if Kind.NULL in (left.kind, right.kind):
            return self.null(kind)
        if kind is Kind.INTERVAL:  # a time difference, in seconds: never overflows
            template = self.dialect.date_interval if left.kind is Kind.DATE else self.dialect.interval
            return self.fill(template, kind, a=left, b=right)
        return self.finite(self.fill(self.dialect.binary[symbol], kind, a=left, b=right))

    def emit_UnaryOp(self, node: ast.UnaryOp) -> _Sql:
        operand = self.emit(node.operand)
        if isinstance(node.op, ast.Not):
            return self.fill("(NOT {x})", unary("not", operand.kind), x=self.condition(operand))
        symbol = "-" if isinstance(node.op, ast.USub) else "+"
        kind = unary(symbol, operand.kind)
        return self.null(kind) if operand.kind is Kind.NULL else self.fill(f"({symbol} {{x}})", kind, x=operand)

    def emit_BoolOp(self, node: ast.BoolOp) -> _Sql:
        word = " AND " if isinstance(node.op, ast.And) else " OR "
        values = [self.condition(self.emit(v)) for v in node.values]
        names = {f"v{n}": value for n, value in enumerate(values)}
        return self.fill("(" + word.join(f"{{{n}}}" for n in names) + ")", Kind.FLAG, **names)

    def emit_Compare(self, node: ast.Compare) -> _Sql:
        operands = [self.emit(node.left)]
        template: list[str] = []
        parts: dict[str, _Sql] = {"o0": operands[0]}
        for n, (op, comparator) in enumerate(zip(node.ops, node.comparators, strict=True)):
            left = f"{{o{n}}}"
            null = self.dialect.typed_null(Kind.FLAG)  # a comparison with a null is null
            if isinstance(op, (ast.In, ast.NotIn)):
                elements = comparator.elts  # type: ignore[attr-defined]  # the checker allows tuples only
                options = []
                for m, element in enumerate(elements):
                    value = self.emit(element)
                    comparison_kind("in", operands[n].kind, value.kind)
                    parts[f"in{n}_{m}"] = value
                    options.append(f"{{in{n}_{m}}}")
                word = "IN" if isinstance(op, ast.In) else "NOT IN"
                template.append(null if operands[n].kind is Kind.NULL else f"({left} {word} ({', '.join(options)}))")
                operands.append(operands[n])
                parts[f"o{n + 1}"] = operands[n]
                continue
            right = self.emit(comparator)
            symbol = _SYMBOLS[type(op)]
            comparison_kind(symbol, operands[n].kind, right.kind)
            operands.append(right)
            parts[f"o{n + 1}"] = right
            if Kind.NULL in (operands[n].kind, right.kind):
                template.append(null)
                continue
            template.append(f"({left} {self.dialect.compare[symbol]} {{o{n + 1}}})")
        text = template[0] if len(template) == 1 else "(" + " AND ".join(template) + ")"
        return self.fill(text, Kind.FLAG, **parts)

    def emit_IfExp(self, node: ast.IfExp) -> _Sql:
        test = self.condition(self.emit(node.test))
        body, orelse = self.emit(node.body), self.emit(node.orelse)
        kind = if_else_kind(body.kind, orelse.kind)
        return self.fill("(CASE WHEN {c} THEN {a} ELSE {b} END)", kind, c=test, a=body, b=orelse)

    def emit_Call(self, node: ast.Call) -> _Sql:
        function = self.functions[node.func.id]  # type: ignore[attr-defined]  # the checker allows names only
        args: dict[str, _Sql] = {}
        texts: list[str] = []
        for position, argument in enumerate(node.args):
            if position in function.literal_args:
                # a checked whole number from -10 to 10: given to the emitter as its digits
                texts.append(str(int(literal_number(argument) or 0)))
                continue
            name = f"arg{position}"
            args[name] = self.emit(argument)
            texts.append("{" + name + "}")
        kinds = [a.kind for a in args.values()]
        kind = call_kind(function.name, function.kinds, kinds)
        if not function.null_safe and Kind.NULL in kinds:  # any null argument: a null result
            return self.null(kind if kind is not Kind.NULL else Kind.NUMBER)
        args = {name: self.null(Kind.NUMBER) if a.kind is Kind.NULL and kind is Kind.NULL else a
                for name, a in args.items()}
        return self.fill(function.sql(texts, self.dialect), kind, **args)


def _number_key(key: str) -> bool:
    """A map key a number can reach: the way a double prints without a trailing '.0'."""
    try:
        return map_key(float(key)) == key
    except ValueError:
        return False


_SYMBOLS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
