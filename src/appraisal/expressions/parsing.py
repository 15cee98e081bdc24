"""The expression language: Python syntax, parsed once, accepted only from a whitelist.

A scheme's filters, measures and formulas decide people's pay, so an expression must never
run code: every syntax-tree node is checked against a short whitelist, every name must be
declared and every function registered. Anything else is refused with one plain sentence
that names the construct and says what to write instead. The checked tree is then either
compiled to SQL (`sql_emitter`) or evaluated (`evaluation`); neither re-parses the text.
"""

from __future__ import annotations

import ast
import enum
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from appraisal.errors import ExpressionError
from appraisal.expressions.functions import FunctionRegistry
from appraisal.suggestions import suggest

MAX_NODES = 200
MAX_LENGTH = 4000
MAX_EXPONENT = 10
MAX_DIGITS = 10


class NameKind(enum.Enum):
    """What a declared name stands for; MAPPING names (map constants) alone may be subscripted."""

    COLUMN = "column"
    INDICATOR = "indicator"
    CONSTANT = "constant"
    MAPPING = "mapping"
    SPECIAL = "special"


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its tree, and the names and functions it uses."""

    source: str
    tree: ast.Expression = field(compare=False, repr=False)
    names: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()


_OPERATORS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
}
_BITWISE = {
    ast.BitAnd: ("&", "use 'and' to combine conditions"),
    ast.BitOr: ("|", "use 'or' to combine conditions"),
    ast.BitXor: ("^", "write the condition with 'and', 'or' and 'not'"),
    ast.LShift: ("<<", "multiply by a power of two instead"),
    ast.RShift: (">>", "divide by a power of two instead"),
    ast.Invert: ("~", "use 'not' to negate a condition"),
    ast.MatMult: ("@", "use '*' to multiply"),
}
_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_REFUSED = {
    ast.Attribute: "attribute access is not allowed ('{text}'); use a declared name or a function",
    ast.Lambda: "lambda functions are not allowed; write the formula directly",
    ast.ListComp: "comprehensions are not allowed; use an aggregate in the measure instead",
    ast.SetComp: "comprehensions are not allowed; use an aggregate in the measure instead",
    ast.DictComp: "comprehensions are not allowed; use an aggregate in the measure instead",
    ast.GeneratorExp: "generator expressions are not allowed; use an aggregate in the measure "
    "instead",
    ast.NamedExpr: "assignment with ':=' is not allowed; declare a constant or a derived "
    "indicator instead",
    ast.JoinedStr: "f-strings are not allowed; write a plain text literal such as 'resolved'",
    ast.Starred: "starred arguments (*args) are not allowed; pass each argument separately",
    ast.Dict: "dict literals are not allowed; only numbers, texts, True, False and None are",
    ast.Set: "set literals are not allowed; use a tuple of literals on the right of 'in'",
    ast.Slice: "slices are not allowed; look up one key of a map constant, like "
    "handling_target_h[problem_type]",
    ast.Await: "'await' is not allowed in expressions",
    ast.Yield: "'yield' is not allowed in expressions",
    ast.YieldFrom: "'yield' is not allowed in expressions",
}


def parse_expression(
    source: str, *, names: Mapping[str, NameKind], functions: FunctionRegistry
) -> Expression:
    """Parse `source` once and check it; raise `ExpressionError` at the first problem."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be text, not {type(source).__name__}", 0)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(source)} characters long, more than the limit of "
            f"{MAX_LENGTH}; split it into derived indicators",
            MAX_LENGTH,
        )
    stripped = source.lstrip()
    if not stripped.strip():
        raise ExpressionError("expression is empty; write a formula such as 'score >= 4'", 0)
    shift = len(source) - len(stripped)
    tree = _parse(stripped, shift)
    checker = _Checker(stripped, shift, names, functions)
    checker.check(tree)
    return Expression(source, tree, frozenset(checker.names), frozenset(checker.functions))


def _parse(text: str, shift: int) -> ast.Expression:
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as error:
        offset = _char_offset(text, error.lineno or 1, (error.offset or 1) - 1, utf8=False)
        reason = (error.msg or "invalid syntax").rstrip(".")
        raise ExpressionError(
            f"syntax error in expression ({reason}) at character {shift + offset + 1}; "
            "write a Python-style formula such as \"hours(resolved_at - created_at)\"",
            shift + offset,
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(
            "expression is nested too deeply; split it into derived indicators", shift
        ) from None


def _char_offset(text: str, lineno: int, col: int, *, utf8: bool = True) -> int:
    """Turn a (line, column) from the parser into a 0-based character offset in `text`."""
    lines = text.splitlines(keepends=True)
    before = sum(len(line) for line in lines[: max(lineno - 1, 0)])
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    if utf8:
        col = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
    return before + max(col, 0)


class _Checker:
    """Walks the tree in source order and raises at the first node that is not allowed."""

    def __init__(
        self, text: str, shift: int, names: Mapping[str, NameKind], functions: FunctionRegistry
    ) -> None:
        self.text = text
        self.shift = shift
        self.declared = names
        self.registry = functions
        self.names: set[str] = set()
        self.functions: set[str] = set()

    def fail(self, message: str, node: ast.AST | None = None) -> NoReturn:
        offset = 0
        if node is not None and hasattr(node, "lineno") and hasattr(node, "col_offset"):
            offset = _char_offset(self.text, node.lineno, node.col_offset)
        raise ExpressionError(message, self.shift + offset)

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or type(node).__name__

    def check(self, tree: ast.Expression) -> None:
        count = sum(isinstance(node, (ast.expr, ast.keyword)) for node in ast.walk(tree))
        if count > MAX_NODES:
            self.fail(
                f"expression has {count} syntax nodes, more than the limit of {MAX_NODES}; "
                "split it into derived indicators"
            )
        self.visit(tree.body)

    def visit(self, node: ast.AST) -> None:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node)
            return
        template = _REFUSED.get(type(node))
        if template is not None:
            self.fail(template.format(text=self.segment(node)), node)
        self.fail(f"'{self.segment(node)}' ({type(node).__name__}) is not allowed in an "
                  "expression; use numbers, texts, declared names, operators and functions",
                  node)

    # leaves

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(f"number literal '{self.segment(node)}' is too large; write a finite "
                      "number", node)
        if value is None or isinstance(value, (bool, int, float, str)):
            return
        kind = {bytes: "bytes literals", complex: "complex numbers"}.get(type(value), "literal")
        self.fail(f"{kind} are not allowed ('{self.segment(node)}'); use numbers or texts", node)

    def visit_Name(self, node: ast.Name) -> None:
        kind = self.check_name(node)
        if kind is NameKind.MAPPING:
            self.fail(
                f"'{node.id}' is a map constant; pick one entry with a key, like "
                f"{node.id}['some_key'] or {node.id}[a_column]",
                node,
            )

    def check_name(self, node: ast.Name) -> NameKind:
        """Refuse normalised, reserved and undeclared names; return the declared kind."""
        raw = self.segment(node)
        if raw != node.id:
            # the parser already applied NFKC to the identifier, so compare with the text
            self.fail(
                f"name '{raw}' changes under Unicode NFKC normalisation; write '{node.id}'", node
            )
        if unicodedata.normalize("NFKC", node.id) != node.id:  # pragma: no cover - belt
            self.fail(f"name '{node.id}' changes under Unicode NFKC normalisation", node)
        if node.id.startswith("__"):
            self.fail(
                f"names with double underscores are not allowed ('{node.id}'); use a declared "
                "column, indicator or constant",
                node,
            )
        kind = self.declared.get(node.id)
        if kind is None:
            if node.id in self.registry:
                self.fail(f"'{node.id}' is a function; call it, as in {node.id}(...)", node)
            self.fail(_unknown("name", node.id, self.declared), node)
        self.names.add(node.id)
        return kind

    # operators

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.check_operator(node.op, node)
        if isinstance(node.op, ast.Pow):
            exponent = literal_number(node.right)
            if exponent is None:
                self.fail(
                    f"'**' needs a number literal exponent, like x ** 2, not "
                    f"'{self.segment(node.right)}'",
                    node.right,
                )
            elif abs(exponent) > MAX_EXPONENT:
                self.fail(
                    f"'**' exponent {self.segment(node.right)} is too large; the exponent must "
                    f"be at most {MAX_EXPONENT} in size",
                    node.right,
                )
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.check_operator(node.op, node)
        self.visit(node.operand)

    def check_operator(self, op: ast.AST, node: ast.AST) -> None:
        bitwise = _BITWISE.get(type(op))
        if bitwise is not None:
            symbol, advice = bitwise
            self.fail(f"bitwise operator '{symbol}' is not allowed; {advice}", node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.visit(value)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.Is, ast.IsNot)):
                self.fail("'is' is not allowed; test for a missing value with is_null(x) or "
                          "not_null(x)", node)
            if not isinstance(op, _COMPARISONS):  # pragma: no cover - all ops covered
                self.fail(f"comparison '{type(op).__name__}' is not allowed", node)
            if (isinstance(right, ast.Constant) and right.value is None) or (
                isinstance(node.left, ast.Constant) and node.left.value is None
            ):
                self.fail("comparing with None always gives null; test for a missing value "
                          "with is_null(x) or not_null(x)", node)
            if isinstance(op, (ast.In, ast.NotIn)):
                self.check_in_list(right)
            else:
                self.visit(right)

    def check_in_list(self, node: ast.AST) -> None:
        if not isinstance(node, (ast.Tuple, ast.List)) or not node.elts:
            self.fail(
                "'in' needs a non-empty tuple of literals on its right, like "
                "status in ('open', 'pending')",
                node,
            )
        for element in node.elts:
            if literal_number(element) is None and not (
                isinstance(element, ast.Constant) and isinstance(element.value, (str, bool))
            ):
                self.fail(
                    f"'{self.segment(element)}' cannot be in an 'in' list; use number, text, "
                    "True or False literals",
                    element,
                )

    def visit_Tuple(self, node: ast.AST) -> None:
        self.fail("tuples and lists are only allowed on the right of 'in', like "
                  "status in ('open', 'pending')", node)

    visit_List = visit_Tuple

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.body)
        self.visit(node.test)
        self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        """Only `MAP[key]`: a map constant's entry, looked up by one key expression."""
        if isinstance(node.value, ast.Subscript):
            self.fail(
                f"'{self.segment(node)}' looks up a key twice; a map constant holds plain "
                "numbers or texts, so look up one key, like handling_target_h[problem_type]",
                node,
            )
        if not isinstance(node.value, ast.Name):
            self.fail(
                "subscripts are only allowed on map constants, not on "
                f"'{self.segment(node.value)}'",
                node,
            )
        kind = self.check_name(node.value)
        if kind is not NameKind.MAPPING:
            self.fail(
                f"subscripts are only allowed on map constants, and '{node.value.id}' is "
                f"{_KIND_WORDS[kind]}; use it without [...]",
                node,
            )
        key = node.slice
        if isinstance(key, ast.Slice):
            self.visit(key)
        if isinstance(key, (ast.Tuple, ast.List)):
            self.fail(
                f"a map constant is looked up by one key, like {node.value.id}[problem_type], "
                f"not by '{self.segment(key)}'",
                key,
            )
        self.visit(key)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute):
            self.visit(node.func)
        if not isinstance(node.func, ast.Name):
            self.fail(
                f"only named functions can be called, like hours(x), not "
                f"'{self.segment(node.func)}'",
                node,
            )
        name = node.func.id
        raw = self.segment(node.func)
        if raw != name:
            self.fail(f"name '{raw}' changes under Unicode NFKC normalisation; write '{name}'",
                      node.func)
        if name.startswith("__"):
            self.fail(
                f"names with double underscores are not allowed ('{name}'); use a registered "
                "function",
                node.func,
            )
        function = self.registry.get(name)
        if function is None:
            self.fail(_unknown("function", name, self.registry.names()), node.func)
        for keyword in node.keywords:
            if keyword.arg is None:
                self.fail("keyword unpacking (**kwargs) is not allowed; pass each argument "
                          "by position", keyword.value)
            self.fail(
                f"keyword arguments are not allowed ('{keyword.arg}=...'); pass arguments by "
                f"position, as in {name}(x, 2)",
                keyword.value,
            )
        for argument in node.args:
            self.visit(argument)
        if not function.accepts(len(node.args)):
            self.fail(
                f"{name}() takes {function.arity_text()} but {len(node.args)} "
                f"{'was' if len(node.args) == 1 else 'were'} given",
                node,
            )
        for position in function.literal_args:
            if position < len(node.args):
                value = literal_number(node.args[position])
                if (value is None or not math.isfinite(value) or value != int(value)
                        or abs(value) > MAX_DIGITS):
                    self.fail(
                        f"argument {position + 1} of {name}() must be a whole-number literal "
                        f"from -{MAX_DIGITS} to {MAX_DIGITS}, like {name}(x, 2)",
                        node.args[position],
                    )
        self.functions.add(name)


_KIND_WORDS = {
    NameKind.COLUMN: "a column",
    NameKind.INDICATOR: "an indicator",
    NameKind.CONSTANT: "a constant with a single value, not a map",
    NameKind.SPECIAL: "a value the scheme provides",
}


def map_key(value: object) -> str | None:
    """The text a value looks a map constant up by; None (no entry) for other kinds.

    Map keys are texts, so a number key is written the way both engines print a double,
    without a trailing '.0': 1.0 looks up "1", 2.5 looks up "2.5". That lets an integer
    column index a map with keys "1", "2". True and false look up "true" and "false".
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        try:
            number = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
        except OverflowError:
            return None
        if not math.isfinite(number):
            return None
        return repr(number).removesuffix(".0")
    return None


def node_offset(expr: Expression, node: ast.AST) -> int:
    """The 0-based character offset of `node` in the expression's text, for located messages."""
    text = expr.source.lstrip()
    shift = len(expr.source) - len(text)
    if not (hasattr(node, "lineno") and hasattr(node, "col_offset")):
        return shift
    return shift + _char_offset(text, node.lineno, node.col_offset)


def literal_keys(expr: Expression) -> list[tuple[str, str, int]]:
    """(map name, key, offset) of every `MAP['literal']` lookup, for the lint's key check."""
    found: list[tuple[str, str, int]] = []
    text = expr.source.lstrip()
    shift = len(expr.source) - len(text)
    for node in ast.walk(expr.tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
            continue
        value = node.slice
        literal: object = literal_number(value)
        if literal is None and isinstance(value, ast.Constant):
            literal = value.value
        key = map_key(literal)
        if key is not None:
            offset = shift + _char_offset(text, value.lineno, value.col_offset)
            found.append((node.value.id, key, offset))
    return found


def literal_number(node: ast.AST) -> float | None:
    """The value of a number literal, optionally signed; None for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
        node.value, bool
    ):
        return sign * node.value
    return None


def _unknown(what: str, name: str, known: Mapping[str, object] | list[str]) -> str:
    """`unknown name 'stauts'; did you mean 'status'?`, or how to declare it."""
    near = suggest(name, known)
    if near:
        return f"unknown {what} '{name}'; did you mean '{near}'?"
    if what == "function":
        return f"unknown function '{name}'; use one of {', '.join(known)}"
    return f"unknown name '{name}'; declare it as a column, indicator or constant"
