"""The scheme-level evaluator: simpleeval on already checked trees, with our semantics.

Derived indicators, totals, gates and bonuses are computed per appraisee in Python. The tree
was parsed and checked once by `parse_expression`; here simpleeval walks it with none of its
default functions or names, and with every operator replaced by a null-aware one that
follows `semantics.yaml`, the same table the SQL emitter implements.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from simpleeval import SimpleEval

from appraisal.errors import ExpressionError
from appraisal.expressions.functions import FunctionRegistry
from appraisal.expressions.parsing import Expression, map_key


def evaluate(expr: Expression, values: Mapping[str, object], functions: FunctionRegistry) -> object:
    """Evaluate a checked expression with `values` for its names; null is `None`.

    Numbers come back as floats (the table says every number is a double). A value of the
    wrong type (text where a number is needed) raises `ExpressionError`.
    """
    evaluator = _Evaluator(values, functions)
    return evaluator.eval(expr.source, previously_parsed=expr.tree.body)


def normalise(value: object) -> object:
    """Inputs as the table reads them: ints are doubles, NaN and infinities are null."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        try:
            value = float(value)
        except OverflowError:
            return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, datetime):
        return "a timestamp"
    if isinstance(value, timedelta):
        return "a time interval"
    return f"a {type(value).__name__}"


def _number(value: object, symbol: str) -> float:
    if isinstance(value, float):
        return value
    raise ExpressionError(f"'{symbol}' needs numbers, but got {_kind(value)}")


def _arithmetic(symbol: str, compute: Callable[[float, float], float]) -> Callable[..., object]:
    """A binary operator: null in, null out; zero divisors, overflow and NaN give null."""

    def apply(left: object, right: object) -> object:
        if left is None or right is None:
            return None
        if symbol == "-" and isinstance(left, datetime) and isinstance(right, datetime):
            return left - right
        try:
            result = compute(_number(left, symbol), _number(right, symbol))
        except (OverflowError, ZeroDivisionError, ValueError):
            return None
        return result if math.isfinite(result) else None

    return apply


def _divide(a: float, b: float) -> float:
    return a / b if b != 0 else math.nan


def _floor_divide(a: float, b: float) -> float:
    return float(math.floor(a / b)) if b != 0 else math.nan


def _modulo(a: float, b: float) -> float:
    # a - b * floor(a / b): the sign of the divisor, computed the way SQL does it
    return a - b * math.floor(a / b) if b != 0 else math.nan


def _negate(value: object) -> object:
    return None if value is None else -_number(value, "-")


def _plus(value: object) -> object:
    return None if value is None else _number(value, "+")


def truth(value: object) -> bool | None:
    """A condition's truth value: booleans, null, and numbers (non-zero is true)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0
    raise ExpressionError(f"a condition must be true or false, but got {_kind(value)}")


def _not(value: object) -> bool | None:
    result = truth(value)
    return None if result is None else not result


def _comparison(compare: Callable[[Any, Any], bool], symbol: str) -> Callable[..., object]:
    """`compare` (operator.lt, ...) made null-aware; it is only called on two values of one type."""
    def apply(left: object, right: object) -> bool | None:
        if left is None or right is None:
            return None
        if type(left) is not type(right):
            raise ExpressionError(
                f"cannot compare {_kind(left)} with {_kind(right)} using '{symbol}'"
            )
        return compare(left, right)

    return apply


OPERATORS: dict[type, Callable[..., object]] = {
    ast.Add: _arithmetic("+", operator.add),
    ast.Sub: _arithmetic("-", operator.sub),
    ast.Mult: _arithmetic("*", operator.mul),
    ast.Div: _arithmetic("/", _divide),
    ast.FloorDiv: _arithmetic("//", _floor_divide),
    ast.Mod: _arithmetic("%", _modulo),
    ast.Pow: _arithmetic("**", math.pow),
    ast.USub: _negate,
    ast.UAdd: _plus,
    ast.Not: _not,
    ast.Eq: _comparison(operator.eq, "=="),
    ast.NotEq: _comparison(operator.ne, "!="),
    ast.Lt: _comparison(operator.lt, "<"),
    ast.LtE: _comparison(operator.le, "<="),
    ast.Gt: _comparison(operator.gt, ">"),
    ast.GtE: _comparison(operator.ge, ">="),
}


def kleene_and(values: list[bool | None]) -> bool | None:
    """False wins, then null, then true (SQL's AND)."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_or(values: list[bool | None]) -> bool | None:
    """True wins, then null, then false (SQL's OR)."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


class _Evaluator(SimpleEval):  # type: ignore[misc]  # simpleeval ships no type information
    """simpleeval with no default functions or names and null-aware node handlers."""

    def __init__(self, values: Mapping[str, object], functions: FunctionRegistry) -> None:
        super().__init__(operators=dict(OPERATORS), functions={}, names={})
        self.values = values
        self.registry = functions
        self.nodes.update({
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.Subscript: self._subscript,
            ast.BoolOp: self._boolop,
            ast.Compare: self._compare,
            ast.IfExp: self._ifexp,
            ast.Call: self._call,
        })

    def _constant(self, node: ast.Constant) -> object:
        return normalise(node.value)

    def _name(self, node: ast.Name) -> object:
        try:
            return normalise(self.values[node.id])
        except KeyError:
            raise ExpressionError(f"no value was given for '{node.id}'") from None

    def _subscript(self, node: ast.Subscript) -> object:
        """A map constant's entry; a null key, or a key it does not hold, gives null."""
        name = node.value.id  # type: ignore[attr-defined]  # the checker subscripts only map constants (Names)
        if name not in self.values:
            raise ExpressionError(f"no value was given for '{name}'")
        mapping = self.values[name]
        if not isinstance(mapping, Mapping):
            raise ExpressionError(f"'{name}' is not a map constant, so it has no entries")
        value = self._eval(node.slice)
        if value is not None and not isinstance(value, (bool, str, float)):
            raise ExpressionError(f"map constant '{name}' is looked up by a text, a number or a true/false "
                                  f"value, not by {_kind(value)}")
        key = map_key(value)
        return None if key is None else normalise(mapping.get(key))

    def _boolop(self, node: ast.BoolOp) -> bool | None:
        combine = kleene_and if isinstance(node.op, ast.And) else kleene_or
        return combine([truth(self._eval(value)) for value in node.values])

    def _compare(self, node: ast.Compare) -> bool | None:
        results: list[bool | None] = []
        left = self._eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                found = self._member(left, comparator)
                results.append(found if found is None or isinstance(op, ast.In) else not found)
                continue
            right = self._eval(comparator)
            results.append(self.operators[type(op)](left, right))
            left = right
        return kleene_and(results)

    def _member(self, value: object, container: ast.AST) -> bool | None:
        if value is None:
            return None
        elements = container.elts  # type: ignore[attr-defined]  # the checker allows 'in' (tuple or list) only
        options = [normalise(element_value(e)) for e in elements]
        check = self.operators[ast.Eq]
        return any(check(value, option) for option in options)

    def _ifexp(self, node: ast.IfExp) -> object:
        return self._eval(node.body) if truth(self._eval(node.test)) else self._eval(node.orelse)

    def _call(self, node: ast.Call) -> object:
        function = self.registry[node.func.id]  # type: ignore[attr-defined]  # the checker calls names only
        args = [self._eval(argument) for argument in node.args]
        if not function.null_safe and any(a is None for a in args):
            return None
        try:
            result = function.python(*args)
        except (TypeError, AttributeError) as error:
            kinds = ", ".join(_kind(a) for a in args)
            raise ExpressionError(
                f"{function.name}() cannot take {kinds}: {error}"
            ) from None
        except (OverflowError, ValueError, ZeroDivisionError):
            return None
        return normalise(result)


def element_value(node: ast.AST) -> object:
    """The value of a literal in an `in` list (numbers may carry a sign)."""
    if isinstance(node, ast.UnaryOp):
        value = element_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value  # type: ignore[operator]  # a signed number literal
    return node.value  # type: ignore[attr-defined]  # the checker allows literals (Constants) only
