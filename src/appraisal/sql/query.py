"""A query as it is built: SQL text and its parameters grown together, and what a compiler
hands on (`CompiledQuery`): the statement, its bound values, the indicators it measures."""

from __future__ import annotations

from dataclasses import dataclass, field

from appraisal.errors import AppraisalError
from appraisal.sql.dialect import SqlFragment


class CompileError(AppraisalError):
    """A scheme the compiler cannot turn into a query (a shape not supported yet)."""


@dataclass
class SqlBuilder:
    """SQL text and its parameters, grown together so placeholders and values stay in order."""

    parts: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, text: str, fragment: SqlFragment | None = None) -> SqlBuilder:
        self.parts.append(text)
        if fragment is not None:
            self.parts.append(fragment.sql)
            self.params.extend(fragment.params)
        return self

    def fragment(self) -> SqlFragment:
        return SqlFragment("".join(self.parts), tuple(self.params))


@dataclass(frozen=True)
class CompiledQuery:
    """One dataset's query: a row per roster member, `<id>__value` and `<id>__rows` per indicator."""

    dataset: str
    sql: str
    params: tuple[object, ...]
    indicators: tuple[str, ...]
    dialect: str = "duckdb"  # the engine the SQL is written for (`Dialect.name`)


def join(fragments: list[SqlFragment], separator: str) -> SqlFragment:
    return SqlFragment(
        separator.join(f.sql for f in fragments), tuple(p for f in fragments for p in f.params)
    )


def wrap(template: str, fragment: SqlFragment) -> SqlFragment:
    """`template` with `{x}` replaced by the fragment (which must appear once)."""
    before, after = template.split("{x}")
    return SqlFragment(before + fragment.sql + after, fragment.params)
