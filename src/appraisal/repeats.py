"""Repeat problems (重复问题率): a yes/no column marking rows whose problem came back.

A problem "comes back" when the same customer raises the same kind of problem again soon
after it was solved. Whether a row repeated depends on *another* row, which a row-level
expression cannot see, so a dataset declares it once and the engine adds the column:

    datasets:
      tickets:
        period_by: created_at
        repeats: {column: repeated, same: [customer_id, problem_type], after: resolved_at, within_days: 7}

A row is marked when the next row with the same `same` values (ordered by `period_by`, then
the key) starts after this row's `after` time and at most `within_days` later. A row with
no `after` time (never resolved) or a missing `same` value is not marked. With a `key`, the
engine also adds `<column>_by`: the key of the row that repeated it, so `explain` shows the
evidence. The window looks at every row loaded, not just the period: a problem solved on the
last day of a quarter that returns the next week still counts against that quarter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appraisal.sql_emitter import quote_identifier as q

if TYPE_CHECKING:
    import duckdb

TIME_KINDS = ("timestamp", "date")


@dataclass(frozen=True)
class Repeats:
    column: str
    same: tuple[str, ...]
    after: str | None
    within_days: float

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Repeats:
        return cls(spec["column"], tuple(spec["same"]), spec.get("after"), float(spec["within_days"]))

    def added_columns(self, keyed: bool) -> dict[str, str]:
        """The columns the engine adds (name -> kind), for expressions and the lint."""
        return {self.column: "flag", **({f"{self.column}_by": "text"} if keyed else {})}


def added_columns(spec: Mapping[str, Any]) -> dict[str, str]:
    """The derived columns of a dataset's raw spec (none without `repeats`)."""
    if "repeats" not in spec:
        return {}
    return Repeats.from_spec(spec["repeats"]).added_columns("key" in spec)


def lint_repeats(spec: Mapping[str, Any], problem: Any) -> None:
    """Check a dataset's `repeats`; `problem(subpath, message)` reports against the scheme file."""
    repeats = spec.get("repeats")
    if repeats is None:
        return
    columns: Mapping[str, str] = spec.get("columns", {})
    if "period_by" not in spec:
        problem(("repeats",), "'repeats' needs the dataset's 'period_by': it orders the rows in time")
    for name in (repeats["column"], f"{repeats['column']}_by"):
        if name in columns:
            problem(("repeats", "column"), f"the dataset already has a column {name!r}; name the added column differently")
    after = repeats.get("after")
    if after is not None and columns.get(after) not in TIME_KINDS:
        said = f"is {columns[after]}" if after in columns else "is not a declared column"
        problem(("repeats", "after"), f"'after' column {after!r} {said}; it must be a timestamp or a date")


def derive(connection: duckdb.DuckDBPyConnection, table: str, repeats: Repeats, period_by: str, key: str | None) -> None:
    """Replace `table` by itself plus the repeat columns (a view stays a view, a table a table)."""
    loaded = f"__{table}_loaded"
    [(is_view,)] = connection.execute(
        "SELECT count(*) > 0 FROM duckdb_views() WHERE view_name = ? AND NOT internal", [table]
    ).fetchall()
    kind = "VIEW" if is_view else "TABLE"
    connection.execute(f"ALTER {kind} {q(table)} RENAME TO {q(loaded)}")
    same = ", ".join(q(c) for c in repeats.same)
    order = q(period_by) + (f", {q(key)}" if key else "")
    after = q(repeats.after or period_by)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in (*repeats.same, repeats.after or period_by))
    within = f"to_seconds(CAST({round(repeats.within_days * 86400)} AS BIGINT))"
    marked = (f"(__next_at > {after} AND __next_at <= {after} + {within} AND {present})")
    next_key = f", lead({q(key)}) OVER w AS __next_key" if key else ""
    by = f", CASE WHEN {marked} THEN CAST(__next_key AS VARCHAR) END AS {q(repeats.column + '_by')}" if key else ""
    connection.execute(
        f"CREATE {kind} {q(table)} AS SELECT * EXCLUDE (__next_at{', __next_key' if key else ''}), "
        f"coalesce({marked}, FALSE) AS {q(repeats.column)}{by} "
        f"FROM (SELECT *, lead({q(period_by)}) OVER w AS __next_at{next_key} FROM {q(loaded)} "
        f"WINDOW w AS (PARTITION BY {same} ORDER BY {order}))"
    )
    if kind == "TABLE":
        connection.execute(f"DROP TABLE {q(loaded)}")
