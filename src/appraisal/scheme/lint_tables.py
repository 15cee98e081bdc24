"""Lint checks of datasets whose rows live in a database table (`source: table`), kept out of
`lint` to keep it short.

Such a dataset is typed where it lives (appraisal.engines.tables), from the table's own column
types: what needs a file's text (a strptime `format`, a timestamp built from a date and a
time column) cannot be asked of it, and the order that decides which row of a repeated key
is kept must be declared columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appraisal.scheme.loading import KeyPath
from appraisal.scheme.model import EMBEDDED, TABLE_SOURCE


def table_problems(data: Mapping[str, Any], engine: str | None = None) -> list[tuple[KeyPath, str]]:
    """(key path, message) of every misuse of `table`, `path` and `first_by` in a scheme's
    `data`; with `engine` (`validate --engine`), a table where that engine is the embedded one."""
    found: list[tuple[KeyPath, str]] = []
    datasets = data.get("datasets", {})
    declared: list[tuple[KeyPath, Any]] = [((part,), data[part]) for part in ("roster", "ratings")
                                           if isinstance(data.get(part), Mapping)]
    declared += [(("datasets", name), spec) for name, spec in datasets.items()]
    for path, spec in declared:
        if spec.get("source") != TABLE_SOURCE:
            found += [((*path, key), f"'{key}' is only for a table of the database (source: table)")
                      for key in ("table", "first_by") if key in spec]  # (the schema has no first_by for a roster)
            continue
        if engine == EMBEDDED:
            found.append(((*path, "source"), "a table of a database is read through that database's engine, "
                                             "not the embedded duckdb (--engine NAME or --profile NAME)"))
        if "path" in spec:
            found.append(((*path, "path"), "source: table reads the table named by 'table', not a file; "
                                           "remove 'path'"))
        if path[0] != "datasets":  # read here and typed as a file's: a text column may have a format
            continue
        table = str(spec.get("table", ""))
        if "." not in table and table.casefold() in _kept_names(datasets):
            found.append(((*path, "table"), f"the run keeps a table of its own called {table!r}, which would "
                          f"hide this one; name it with its schema or database (support.{table})"))
        columns = spec.get("columns", {})
        for column in spec.get("first_by", ()):
            if column not in columns:
                found.append(((*path, "first_by"), f"first_by names {column!r}, which is not a declared column"))
        for column, kind in columns.items():
            if isinstance(kind, Mapping) and kind.keys() - {"type"}:
                found.append(((*path, "columns", column), "a table's column is typed by the database: no "
                              "'format', 'date' or 'time' here; declare its type in the table, or in a view"))
    for name, spec in datasets.items():  # a comeback is looked for where both datasets live
        repeats = spec.get("repeats")
        other = repeats.get("in") if isinstance(repeats, Mapping) else None
        if not isinstance(other, str) or not isinstance(datasets.get(other), Mapping):
            continue
        mine, theirs = spec.get("source") == TABLE_SOURCE, datasets[other].get("source") == TABLE_SOURCE
        if mine != theirs:
            where = ("a table of the database", "a file") if mine else ("a file", "a table of the database")
            found.append((("datasets", name, "repeats", "in"), f"dataset {name!r} is {where[0]} and {other!r} "
                          f"{where[1]}: returning rows are looked for only between two files or two tables"))
    return found


def _kept_names(datasets: Mapping[str, Any]) -> set[str]:
    """The names of the temporary tables a run keeps in the database (a table or view named like
    one, without its schema, would be found instead), as engines compare unquoted names."""
    return {name.casefold() for name in (*datasets, "roster", "ratings", "__calendar")}
