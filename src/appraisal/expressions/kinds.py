"""The kinds of values in expressions, and the rules that say which operations fit which kinds.

Columns declare their type, so every expression has a kind that is known before any row is
read. The lint checks the kinds (a function or operator on the wrong kind, a comparison
across kinds, a text where a number is needed) so that `validate` means the scheme will run;
the SQL emitter reads the same rules to choose its spelling (a number used as a condition, a
map looked up by a number or by a text, the difference of two dates). One set of rules for
both, so the check and the compiled query cannot disagree.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from appraisal.errors import ExpressionError
from appraisal.expressions.parsing import Expression, node_offset

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry


class Kind(enum.Enum):
    """What a value is. DURATION is a number of seconds (a `duration` column); INTERVAL is the
    difference of two timestamps or dates, usable only inside seconds/minutes/hours/days.
    NULL is the literal None, which fits any kind; ANY is what a plugin function that declares
    no kinds gives, and is not checked."""

    NUMBER = "number"
    DURATION = "duration"
    TEXT = "text"
    FLAG = "true/false value"
    TIMESTAMP = "timestamp"
    DATE = "date"
    INTERVAL = "time interval"
    MAP = "map constant"
    NULL = "null"
    ANY = "value"

    @property
    def words(self) -> str:
        """`a number`, `a text`, ... for messages."""
        article = "an" if self.value[0] in "aeiou" else "a"
        return "null" if self is Kind.NULL else f"{article} {self.value}"


NUMERIC = frozenset({Kind.NUMBER, Kind.DURATION})
TIMES = frozenset({Kind.TIMESTAMP, Kind.DATE})
CONDITIONS = frozenset({Kind.FLAG, Kind.NUMBER, Kind.DURATION})
MAP_KEYS = frozenset({Kind.TEXT, Kind.NUMBER, Kind.DURATION, Kind.FLAG})

# A declared column type (the scheme's `columns:`) -> the kind its values have in expressions.
COLUMN_KINDS: Mapping[str, Kind] = {
    "text": Kind.TEXT,
    "integer": Kind.NUMBER,
    "number": Kind.NUMBER,
    "duration": Kind.DURATION,
    "flag": Kind.FLAG,
    "date": Kind.DATE,
    "timestamp": Kind.TIMESTAMP,
}


class KindError(ExpressionError):
    """An operation applied to values of the wrong kind; `offset` is set by the caller."""


def column_kind(declared: object) -> Kind:
    """The kind of a declared column: `number`, or a mapping with a `type` key."""
    name = declared.get("type") if isinstance(declared, Mapping) else declared
    return COLUMN_KINDS.get(str(name), Kind.ANY)


def value_kind(value: object) -> Kind:
    """The kind of a constant's value (a map constant is MAP)."""
    if value is None:
        return Kind.NULL
    if isinstance(value, bool):
        return Kind.FLAG
    if isinstance(value, (int, float)):
        return Kind.NUMBER
    if isinstance(value, str):
        return Kind.TEXT
    if isinstance(value, Mapping):
        return Kind.MAP
    return Kind.ANY


def map_value_kind(entries: Mapping[str, object]) -> Kind:
    """What looking up a map constant gives: its entries' kind (the lint keeps them one kind)."""
    kinds = {value_kind(v) for v in entries.values()} - {Kind.NULL}
    return kinds.pop() if len(kinds) == 1 else Kind.ANY


def _fits(kind: Kind, allowed: frozenset[Kind]) -> bool:
    return kind in allowed or kind in (Kind.NULL, Kind.ANY)


def arithmetic(symbol: str, left: Kind, right: Kind, texts: tuple[str, str] | None = None) -> Kind:
    """`left symbol right`: numbers give a number; two timestamps (or two dates) subtracted
    give a time interval. `texts`: the operands as written, to name the one at fault."""
    if symbol == "-" and left in TIMES and right in TIMES:
        if left is not right:
            raise KindError(f"cannot subtract {right.words} from {left.words}; both sides must be "
                            "timestamps, or both dates")
        return Kind.INTERVAL
    for n, side in enumerate((left, right)):
        if not _fits(side, NUMERIC):
            if side in TIMES and symbol == "-":
                raise KindError(f"'-' subtracts a timestamp from a timestamp or numbers from numbers, "
                                f"not {right.words} from {left.words}")
            advice = _ARITHMETIC_ADVICE.get(side, "")
            what = f"'{texts[n]}' is {side.words}" if texts else f"got {side.words}"
            raise KindError(f"'{symbol}' needs numbers, but {what}{advice}")
    if Kind.ANY in (left, right):
        return Kind.ANY
    return Kind.NUMBER


_ARITHMETIC_ADVICE = {
    Kind.FLAG: "; write `1 if flag else 0` to count a true/false value",
    Kind.TEXT: "; texts cannot be computed with (there is no text arithmetic)",
    Kind.INTERVAL: "; turn a time interval into a number with hours(...), minutes(...), seconds(...) or days(...)",
}


def unary(symbol: str, operand: Kind) -> Kind:
    """`-x`, `+x` need a number; `not x` a condition."""
    if symbol == "not":
        condition(operand, "'not'")
        return Kind.FLAG
    if not _fits(operand, NUMERIC):
        raise KindError(f"'{symbol}' needs a number, but got {operand.words}{_ARITHMETIC_ADVICE.get(operand, '')}")
    return Kind.ANY if operand is Kind.ANY else Kind.NUMBER


def condition(kind: Kind, where: str = "a condition") -> Kind:
    """A condition is a true/false value (a number counts: true when not 0)."""
    if not _fits(kind, CONDITIONS):
        raise KindError(f"{where} must be true or false, but got {kind.words}")
    return Kind.FLAG


def comparison(symbol: str, left: Kind, right: Kind) -> Kind:
    """Numbers with numbers, texts with texts, timestamps with timestamps, dates with dates."""
    if Kind.NULL in (left, right) or Kind.ANY in (left, right):
        return Kind.FLAG
    if left in NUMERIC and right in NUMERIC:
        return Kind.FLAG
    if left is right and left in (Kind.TEXT, Kind.TIMESTAMP, Kind.DATE, Kind.INTERVAL):
        return Kind.FLAG
    if left is right and left is Kind.FLAG and symbol in ("==", "!=", "in", "not in"):
        return Kind.FLAG
    if left is right is Kind.FLAG:
        raise KindError(f"'{symbol}' cannot order true/false values; compare them with == or !=")
    hint = ""
    if {left, right} & TIMES and Kind.TEXT in (left, right):
        hint = ("; there are no date or timestamp literals: compare with another date or timestamp column, "
                "or with a part of it such as year(...) or month(...)")
    raise KindError(f"cannot compare {left.words} with {right.words} using '{symbol}'{hint}")


def if_else(body: Kind, orelse: Kind) -> Kind:
    """Both branches of `a if c else b` give the same kind (or None)."""
    if body is Kind.NULL or body is Kind.ANY:
        return orelse if body is Kind.NULL else Kind.ANY
    if orelse is Kind.NULL or orelse is Kind.ANY:
        return body if orelse is Kind.NULL else Kind.ANY
    if body in NUMERIC and orelse in NUMERIC:
        return Kind.NUMBER
    if body is not orelse:
        raise KindError(f"the two branches of 'if ... else' give {body.words} and {orelse.words}; "
                        "both must give the same kind")
    return body


def map_key(kind: Kind, name: str) -> None:
    if not _fits(kind, MAP_KEYS):
        raise KindError(f"map constant '{name}' is looked up by a text, a number or a true/false value, "
                        f"not by {kind.words}")


# -- function signatures -------------------------------------------------------------------

Signature = Callable[[Sequence[Kind]], Kind]


def takes(*allowed: frozenset[Kind] | Kind, returns: Kind, rest: frozenset[Kind] | Kind | None = None) -> Signature:
    """A signature: argument i must be of `allowed[i]` (the last one, or `rest`, repeats)."""
    sets = [a if isinstance(a, frozenset) else frozenset({a}) for a in allowed]
    tail = rest if isinstance(rest, frozenset) or rest is None else frozenset({rest})

    def check(kinds: Sequence[Kind]) -> Kind:
        for position, kind in enumerate(kinds):
            wanted = sets[position] if position < len(sets) else (tail if tail is not None else sets[-1])
            if not _fits(kind, wanted):
                raise KindError(f"argument {position + 1} must be {_either(wanted)}, but got {kind.words}")
        return returns

    return check


def same_kind(kinds: Sequence[Kind]) -> Kind:
    """coalesce(a, b, ...): every argument of one kind, which it gives."""
    result = Kind.NULL
    for position, kind in enumerate(kinds):
        try:
            result = if_else(result, kind)
        except KindError:
            raise KindError(f"argument {position + 1} is {kind.words} where the others are "
                            f"{result.words}; give every argument the same kind") from None
    return result


def anything(kinds: Sequence[Kind]) -> Kind:
    """is_null, not_null: any argument, a true/false answer."""
    return Kind.FLAG


def _either(kinds: frozenset[Kind]) -> str:
    names = sorted(k.words for k in kinds if k is not Kind.DURATION or Kind.NUMBER not in kinds)
    if Kind.NUMBER in kinds and Kind.DURATION in kinds:
        names = [n for n in names if n != Kind.NUMBER.words] + [Kind.NUMBER.words]
    return " or ".join(names)


def call(name: str, signature: Signature | None, kinds: Sequence[Kind]) -> Kind:
    """The kind a function gives for these arguments; ANY for a function with no signature."""
    if signature is None:
        return Kind.ANY
    try:
        return signature(kinds)
    except KindError as error:
        raise KindError(f"{name}(): {error.message}") from None


def kinds_of(names: Mapping[str, object]) -> dict[str, Kind]:
    """Kinds of scheme-level names: indicators and specials are numbers, constants by value."""
    return {name: value if isinstance(value, Kind) else value_kind(value) for name, value in names.items()}


# -- the check `validate` runs -------------------------------------------------------------

WANTS = {
    "number": (frozenset({Kind.NUMBER, Kind.DURATION}), "a number"),
    "condition": (CONDITIONS, "true or false"),
    "any": (frozenset(Kind), "a value"),
}


def check_kinds(
    expr: Expression, kinds: Mapping[str, Kind], maps: Mapping[str, Mapping[str, object]],
    functions: FunctionRegistry, wants: str = "any",
) -> Kind:
    """The kind `expr` gives, or `KindError` (with the offset of the part at fault) for the
    first operation whose operands do not fit; `wants` is what the place it is written in
    needs (`number`, `condition` or `any`)."""
    kind = _KindWalker(expr, kinds, maps, functions).kind(expr.tree.body)
    allowed, words = WANTS[wants]
    if not _fits(kind, allowed):
        raise KindError(f"this expression gives {kind.words}, but {words} is needed here", 0)
    return kind


class _KindWalker:
    """Walks a checked tree bottom-up with the same rules the SQL emitter applies."""

    def __init__(self, expr: Expression, kinds: Mapping[str, Kind], maps: Mapping[str, Mapping[str, object]],
                 functions: FunctionRegistry) -> None:
        self.expr = expr
        self.kinds = kinds
        self.maps = maps
        self.functions = functions

    def kind(self, node: ast.expr) -> Kind:
        try:
            if isinstance(node, ast.Constant):
                return value_kind(node.value)
            if isinstance(node, ast.Name):
                return self.kinds.get(node.id, Kind.ANY)
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                key = self.kind(node.slice)
                map_key(key, node.value.id)
                return map_value_kind(self.maps.get(node.value.id, {}))
            if isinstance(node, ast.BinOp):
                return arithmetic(_SYMBOLS[type(node.op).__name__], self.kind(node.left), self.kind(node.right),
                                  (ast.unparse(node.left), ast.unparse(node.right)))
            if isinstance(node, ast.UnaryOp):
                symbol = {"Not": "not", "USub": "-", "UAdd": "+"}[type(node.op).__name__]
                return unary(symbol, self.kind(node.operand))
            if isinstance(node, ast.BoolOp):
                for value in node.values:
                    self.condition(value)
                return Kind.FLAG
            if isinstance(node, ast.Compare):
                return self.compare(node)
            if isinstance(node, ast.IfExp):
                self.condition(node.test)
                return if_else(self.kind(node.body), self.kind(node.orelse))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                function = self.functions[node.func.id]
                args = [self.kind(a) for i, a in enumerate(node.args) if i not in function.literal_args]
                return call(function.name, function.kinds, args)
        except KindError as error:
            if error.offset is None:
                error.offset = node_offset(self.expr, node)
            raise
        return Kind.ANY

    def condition(self, node: ast.expr) -> None:
        kind = self.kind(node)
        try:
            condition(kind, f"'{ast.unparse(node)}'")
        except KindError as error:
            error.offset = node_offset(self.expr, node)
            raise

    def compare(self, node: ast.Compare) -> Kind:
        left = self.kind(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(comparator, (ast.Tuple, ast.List)):
                for element in comparator.elts:
                    comparison("in", left, self.kind(element))
                continue
            right = self.kind(comparator)
            comparison(_SYMBOLS[type(op).__name__], left, right)
            left = right
        return Kind.FLAG


_SYMBOLS = {
    "Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**",
    "Eq": "==", "NotEq": "!=", "Lt": "<", "LtE": "<=", "Gt": ">", "GtE": ">=",
}

