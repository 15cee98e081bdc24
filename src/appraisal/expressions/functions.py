"""The function registry shared by both evaluators.

A function is declared once with a Python implementation (scheme level, simpleeval) and a
SQL emitter (row level, DuckDB), so a formula means the same thing wherever it runs.
Plugins add functions through the `register_functions(register)` hook; the registry refuses
a second function of the same name and names both plugins, so nothing is silently shadowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appraisal.registry import Registry, collect

if TYPE_CHECKING:
    import pluggy

    from appraisal.expressions.kinds import Signature
    from appraisal.sql.dialect import Dialect

SqlEmitter = Callable[[list[str], "Dialect"], str]


@dataclass(frozen=True)
class Function:
    """One expression function.

    `python` receives already evaluated arguments; unless `null_safe`, the evaluator returns
    null without calling it when any argument is null. `sql` receives the arguments' SQL
    texts (parameters stay bound by the emitter) and the dialect, so engine-specific
    spellings come from the one `Dialect` table. A non-`null_safe` SQL emitter must itself
    give NULL when any argument is NULL (most SQL functions do; `least`/`greatest` do not).
    `literal_args` lists argument positions that must be whole-number literals from -10 to
    10 (like the digits of `round`), checked when the expression is parsed; the SQL emitter
    receives those as their digits (`"2"`), not as a placeholder. The SQL text may name an
    argument several times: the emitter then passes a column, never a copy of a computation.
    `kinds` says which kinds of arguments it takes and which it gives
    (`appraisal.expressions.kinds.takes`), so `validate` refuses a wrong one; without it the
    function's arguments are not checked.
    """

    name: str
    min_args: int
    max_args: int | None
    python: Callable[..., object]
    sql: SqlEmitter
    doc: str
    null_safe: bool = False
    literal_args: tuple[int, ...] = ()
    plugin: str = ""
    kinds: Signature | None = None

    def arity_text(self) -> str:
        """How many arguments, in words, for error messages."""
        if self.max_args == self.min_args:
            n = self.min_args
            return f"{n} argument" + ("" if n == 1 else "s")
        if self.max_args is None:
            return f"at least {self.min_args} arguments"
        return f"{self.min_args} to {self.max_args} arguments"

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


class FunctionRegistry(Registry[Function]):
    """Functions by name; a second registration of a name is a `PluginError`."""

    kind = "function"


def collect_functions(manager: pluggy.PluginManager) -> FunctionRegistry:
    """Every plugin's functions, each recorded with the plugin that registered it."""
    return collect(manager, "register_functions", FunctionRegistry())
