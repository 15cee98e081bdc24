"""Repeat problems of a dataset that lives in the engine's database, in the engine's dialect:
the same marks `appraisal.sql.repeats` adds to a file's rows in DuckDB (see there for the rule),
written with window functions every engine has instead of DuckDB's ASOF join.

`marked` looks for the next row of the same problem within the dataset (a `lead` over each
`same` group). `marked_in` looks in another table dataset (`in:`): the rows of both go into one
window per `same` group, ordered by time with the other dataset's rows first at equal times, and
the first of the other's times among the rows after a row's own is the one it is marked by
(strictly after, as the ASOF join's `>`); the other's rows are first reduced to one per `same`
values and time, with the smallest key, as the ASOF form does.
"""

from __future__ import annotations

from appraisal.scheme.model import Dataset
from appraisal.sql.dialect import Dialect


def marked(rows: str, dataset: Dataset, columns: list[str], dialect: Dialect) -> str:
    """`rows` with the repeat-problem columns: each row marked by the next row of its `same`
    group, as `appraisal.sql.repeats._next_row` does for a file."""
    repeats, period_by, key = dataset.repeats, dataset.period_by, dataset.key
    assert repeats is not None and period_by is not None
    q = dialect.quote_identifier
    same = ", ".join(q(c) for c in repeats.same)
    order = f"{q(period_by)} NULLS LAST" + (f", {q(key)} NULLS LAST" if key else "")
    window = f"OVER (PARTITION BY {same} ORDER BY {order})"
    after = q(repeats.after or period_by)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in (*repeats.same, repeats.after or period_by))
    gap = dialect.elapsed_seconds.format(x=dialect.elapsed.format(a="__next_at", b=after))
    marked = f"(__next_at > {after} AND {gap} <= {round(repeats.within_days * 86400)} AND {present})"
    listed = ", ".join(columns)
    by = ""
    if key:
        by = f", CASE WHEN {marked} THEN {dialect.text_of.format(x='__next_key')} END AS {q(repeats.column + '_by')}"
    next_key = f", lead({q(key)}) {window} AS __next_key" if key else ""
    return (f"SELECT {listed}, coalesce({marked}, FALSE) AS {q(repeats.column)}{by} FROM (SELECT {listed}, "
            f"lead({q(period_by)}) {window} AS __next_at{next_key} FROM ({rows}) AS r) AS m")


def marked_in(rows: str, columns: list[str], dataset: Dataset, other: Dataset, others: str, dialect: Dialect) -> str:
    """`rows` (of `dataset`, with `columns`) with the repeat-problem columns, each row marked by
    the first row of `other` (its rows: `others`) after it; see the module docstring."""
    repeats, period_by = dataset.repeats, dataset.period_by
    assert repeats is not None and period_by is not None and repeats.looked_in is not None
    at = repeats.at or other.period_by
    assert at is not None, "the lint requires 'at' when the 'in' dataset has no period_by"
    q, stamp = dialect.quote_identifier, dialect.types["timestamp"]
    same = [f"__same{n}" for n in range(len(repeats.same))]
    after = q(repeats.after or period_by)
    mine = " AND ".join(f"{q(c)} IS NOT NULL" for c in (*repeats.same, repeats.after or period_by))
    theirs = " AND ".join(f"{q(c)} IS NOT NULL" for c in (*repeats.same, at))
    renamed = ", ".join(f"{q(c)} AS {s}" for c, s in zip(repeats.same, same, strict=True))
    grouped = ", ".join([*(q(c) for c in repeats.same), q(at)])
    key = f", min({q(other.key)}) AS __key" if other.key else ""
    order = ", ".join(f"{c} NULLS LAST" for c in columns)
    partition = ", ".join(same)
    frame = (f"OVER (PARTITION BY {partition} ORDER BY __t, __side ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED "
             "FOLLOWING)")
    marks = (
        # a row's number within its `same` group: one window per group, never the whole table in one
        f"WITH r AS (SELECT x.*, row_number() OVER (PARTITION BY {', '.join(q(c) for c in repeats.same)} "
        f"ORDER BY {order}) AS __rid FROM ({rows}) AS x), "
        f"o AS (SELECT {renamed}, CAST({q(at)} AS {stamp}) AS __at{key} FROM ({others}) AS y WHERE {theirs} "
        f"GROUP BY {grouped}), "
        f"u AS (SELECT __rid, {', '.join(f'{q(c)} AS {s}' for c, s in zip(repeats.same, same, strict=True))}, "
        f"CAST({after} AS {stamp}) AS __t, 1 AS __side FROM r WHERE {mine} "
        f"UNION ALL SELECT NULL, {partition}, __at, 0 FROM o), "
        f"w AS (SELECT __rid, {partition}, min(CASE WHEN __side = 0 THEN __t END) {frame} AS __next_at FROM u) "
    )
    gap = dialect.elapsed_seconds.format(x=dialect.elapsed.format(a="w.__next_at", b=f"CAST(r.{after} AS {stamp})"))
    found = f"(w.__next_at IS NOT NULL AND {gap} <= {round(repeats.within_days * 86400)})"
    on = " AND ".join(f"n.{s} = r.{q(c)}" for c, s in zip(repeats.same, same, strict=True))
    mine_on = " AND ".join(f"w.{s} = r.{q(c)}" for c, s in zip(repeats.same, same, strict=True))
    by = ""
    if other.key:
        by = f", CASE WHEN {found} THEN {dialect.text_of.format(x='n.__key')} END AS {q(repeats.column + '_by')}"
    return (
        f"{marks}SELECT {', '.join(f'r.{c}' for c in columns)}, coalesce({found}, FALSE) AS {q(repeats.column)}{by} "
        f"FROM r LEFT JOIN (SELECT __rid, {partition}, __next_at FROM w WHERE __rid IS NOT NULL) AS w "
        f"ON w.__rid = r.__rid AND {mine_on} "
        f"LEFT JOIN o AS n ON {on} AND n.__at = w.__next_at"
    )
