"""Repeat problems (重复问题率): a yes/no column marking rows whose problem came back.

This module adds the column in SQL; the rule as the scheme declares it (`Repeats`) and its lint
are `appraisal.scheme.repeat_rules`.

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

from collections.abc import Mapping
from typing import TYPE_CHECKING

from appraisal.sql.dialect import quote_identifier as q

if TYPE_CHECKING:
    import duckdb

    from appraisal.scheme.model import Dataset
    from appraisal.scheme.repeat_rules import Repeats


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
