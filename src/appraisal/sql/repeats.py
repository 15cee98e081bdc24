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

With `in: <dataset>` the row that comes back is looked for in another dataset, e.g. a
customer's next order after a repair (复购): the first row of `in` with the same `same` values
whose `at` time (default: its `period_by`) is strictly after this row's `after` time marks
it when it lies at most `within_days` later; `<column>_by` is that row's key when `in` has a
`key` (of rows at the same time, the smallest key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appraisal.sql.dialect import quote_identifier as q

if TYPE_CHECKING:
    import duckdb

    from appraisal.scheme.model import Dataset

TIME_KINDS = ("timestamp", "date")


@dataclass(frozen=True)
class Repeats:
    column: str
    same: tuple[str, ...]
    after: str | None
    within_days: float
    looked_in: str | None = None  # `in`: the dataset whose rows count as the return
    at: str | None = None  # the time column of `looked_in`; its period_by when None

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Repeats:
        return cls(spec["column"], tuple(spec["same"]), spec.get("after"), float(spec["within_days"]),
                   spec.get("in"), spec.get("at"))

    def added_columns(self, keyed: bool) -> dict[str, str]:
        """The columns the engine adds (name -> kind), for expressions and the lint."""
        return {self.column: "flag", **({f"{self.column}_by": "text"} if keyed else {})}


def added_columns(spec: Mapping[str, Any], datasets: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The derived columns of a dataset's raw spec (none without `repeats`); `datasets` (all
    raw specs) says whether an `in` dataset has the key that `<column>_by` needs."""
    if "repeats" not in spec:
        return {}
    repeats = Repeats.from_spec(spec["repeats"])
    keyed_by = spec if repeats.looked_in is None else (datasets or {}).get(repeats.looked_in, {})
    return repeats.added_columns("key" in keyed_by)


Problem = Callable[[tuple[str | int, ...], str], None]  # (subpath, message)


def lint_repeats(spec: Mapping[str, Any], problem: Problem, looked_in: Mapping[str, Any] | None = None) -> None:
    """Check a dataset's `repeats`; `problem(subpath, message)` reports against the scheme file.

    `looked_in` is the raw spec of the `in` dataset once the caller has found it declared
    (unknown names and columns are the caller's, with its did-you-mean hints)."""
    repeats = spec.get("repeats")
    if repeats is None:
        return
    columns: Mapping[str, str] = spec.get("columns", {})
    if "period_by" not in spec:
        why = ("without it the dataset is a lookup table, never measured" if "in" in repeats
               else "it orders the rows in time")
        problem(("repeats",), f"'repeats' needs the dataset's 'period_by': {why}")
    for name in (repeats["column"], f"{repeats['column']}_by"):
        if name in columns:
            problem(("repeats", "column"), f"the dataset already has a column {name!r}; name the added column differently")
    after = repeats.get("after")
    if after is not None and columns.get(after) not in TIME_KINDS:
        said = f"is {columns[after]}" if after in columns else "is not a declared column"
        problem(("repeats", "after"), f"'after' column {after!r} {said}; it must be a timestamp or a date")
    if "at" in repeats and "in" not in repeats:
        problem(("repeats", "at"), "'at' is a time column of the 'in' dataset; add 'in' or leave 'at' out")
    if looked_in is not None:
        _lint_looked_in(repeats, columns, looked_in, problem)


def _lint_looked_in(repeats: Mapping[str, Any], columns: Mapping[str, str], other: Mapping[str, Any],
                    problem: Problem) -> None:
    """The `in` dataset's side: a time to order its rows by, and `same` columns of one type in
    both datasets, so that the join compares like with like (a text id is not the number 7)."""
    name, theirs = repeats["in"], other.get("columns", {})
    at = repeats.get("at", other.get("period_by"))
    if at is None:
        problem(("repeats",), f"'repeats' needs 'at': dataset {name!r} has no 'period_by' to say when its rows happen")
    elif at in theirs and theirs[at] not in TIME_KINDS:
        if "at" in repeats:
            problem(("repeats", "at"), f"'at' column {at!r} is {theirs[at]}; it must be a timestamp or a date")
        else:
            problem(("repeats", "in"), f"dataset {name!r} is placed in time by {at!r}, which is {theirs[at]}; "
                                       "name its timestamp or date column in 'at'")
    for i, column in enumerate(repeats["same"]):
        here, there = columns.get(column), theirs.get(column)
        if here is not None and there is not None and here != there:
            problem(("repeats", "same", i),
                    f"'same' column {column!r} is {here} here but {there} in dataset {name!r}; declare one type in both")


def derive_all(connection: duckdb.DuckDBPyConnection, datasets: Mapping[str, Dataset]) -> None:
    """Replace each dataset with `repeats` by itself plus the repeat columns (a view stays a
    view, a table a table).

    Every such dataset is first renamed to `__<name>_loaded`, so that an `in` reads the rows as
    loaded whatever the order, and two datasets may look in each other. Tables are made first:
    a view then reads another dataset's new table (made once, so never a view that reads a view
    that reads it back) or its loaded view (which stays). A loaded table is dropped as soon as
    no table still to be made reads it: at once, when no `in` names it.
    """
    derived = {name: d.repeats for name, d in datasets.items() if d.repeats is not None and d.period_by is not None}
    kinds: dict[str, str] = {}
    for name in derived:
        [(is_view,)] = connection.execute(
            "SELECT count(*) > 0 FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
        ).fetchall()
        kinds[name] = "VIEW" if is_view else "TABLE"
        connection.execute(f"ALTER {kinds[name]} {q(name)} RENAME TO {q(f'__{name}_loaded')}")
    tables = [name for name in derived if kinds[name] == "TABLE"]
    kept: set[str] = set()  # tables made whose loaded rows may still be read
    for n, name in enumerate(tables):
        connection.execute(f"CREATE TABLE {q(name)} AS {_select(name, kinds, datasets)}")
        kept.add(name)
        still_read = {derived[later].looked_in for later in tables[n + 1:]}
        for done in sorted(kept - still_read):
            connection.execute(f"DROP TABLE {q(f'__{done}_loaded')}")
            kept.discard(done)
    for name in [view for view in derived if kinds[view] == "VIEW"]:
        connection.execute(f"CREATE VIEW {q(name)} AS {_select(name, kinds, datasets)}")


def _select(name: str, kinds: Mapping[str, str], datasets: Mapping[str, Dataset]) -> str:
    """The query of dataset `name`'s new table or view; `kinds` says which datasets are derived."""
    dataset = datasets[name]
    repeats, period_by = dataset.repeats, dataset.period_by
    assert repeats is not None and period_by is not None
    loaded = f"__{name}_loaded"
    if repeats.looked_in is None:
        return _next_row(loaded, repeats, period_by, dataset.key)
    other = repeats.looked_in
    if other in kinds and not (kinds[name] == "VIEW" and kinds[other] == "TABLE"):
        other = f"__{other}_loaded"
    return _next_row_in(loaded, repeats, period_by, datasets[repeats.looked_in], other)


def _within(repeats: Repeats) -> str:
    """`within_days` as an interval literal: whole seconds, so fractions of a day keep."""
    return f"to_seconds(CAST({round(repeats.within_days * 86400)} AS BIGINT))"


def _next_row(loaded: str, repeats: Repeats, period_by: str, key: str | None) -> str:
    """The rows of `loaded`, each marked by the next row of its `same` group (a window)."""
    same = ", ".join(q(c) for c in repeats.same)
    order = q(period_by) + (f", {q(key)}" if key else "")
    after = q(repeats.after or period_by)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in (*repeats.same, repeats.after or period_by))
    marked = f"(__next_at > {after} AND __next_at <= {after} + {_within(repeats)} AND {present})"
    next_key = f", lead({q(key)}) OVER w AS __next_key" if key else ""
    by = f", CASE WHEN {marked} THEN CAST(__next_key AS VARCHAR) END AS {q(repeats.column + '_by')}" if key else ""
    return (
        f"SELECT * EXCLUDE (__next_at{', __next_key' if key else ''}), "
        f"coalesce({marked}, FALSE) AS {q(repeats.column)}{by} "
        f"FROM (SELECT *, lead({q(period_by)}) OVER w AS __next_at{next_key} FROM {q(loaded)} "
        f"WINDOW w AS (PARTITION BY {same} ORDER BY {order}))"
    )


def _next_row_in(loaded: str, repeats: Repeats, period_by: str, other: Dataset, rows_of: str) -> str:
    """The rows of `loaded`, each marked by the first row of `other` (read from `rows_of`) after
    it, by an ASOF join.

    The ASOF join finds, per row, the `other` row with equal `same` values and the smallest
    `at` strictly after `after`; a missing `same` value or `after` matches nothing. With a
    key, `other` is first reduced to one row per `same` values and time, holding the smallest
    key, so that `<column>_by` does not depend on which of two simultaneous rows the join meets.
    """
    at = repeats.at or other.period_by
    assert at is not None, "the lint requires 'at' when the 'in' dataset has no period_by"
    after = f"r.{q(repeats.after or period_by)}"
    renamed = ", ".join(f"{q(c)} AS {q(f'__same{n}')}" for n, c in enumerate(repeats.same))
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in (*repeats.same, at))
    rows = f"SELECT {renamed}, {q(at)} AS __at"
    if other.key:
        rows += f", min({q(other.key)}) AS __key FROM {q(rows_of)} WHERE {present} GROUP BY ALL"
    else:
        rows += f" FROM {q(rows_of)} WHERE {present}"
    on = " AND ".join(f"r.{q(c)} = n.{q(f'__same{n}')}" for n, c in enumerate(repeats.same))
    marked = f"(n.__at <= {after} + {_within(repeats)})"
    by = f", CASE WHEN {marked} THEN CAST(n.__key AS VARCHAR) END AS {q(repeats.column + '_by')}" if other.key else ""
    return (
        f"SELECT r.*, coalesce({marked}, FALSE) AS {q(repeats.column)}{by} "
        f"FROM {q(loaded)} AS r ASOF LEFT JOIN ({rows}) AS n ON {on} AND n.__at > {after}"
    )
