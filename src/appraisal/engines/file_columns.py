"""From a file's columns to the scheme's: renames, timestamps built from a date and a time,
checks of the header, and the rows a reader could not read.

The raw rows a source plugin loads keep the file's column names. When the scheme renames a
column (`rename: {"Ticket ID": ticket_id}`) or builds a timestamp from a date column and a
time column, a view over the raw rows gives the scheme's names (and the joined text of the
built column), so the engine types and counts them like any column read from the file.

Messages never quote a file that did not parse as declared: the file's column names are shown
only when its header holds at least one name the scheme expects (a real header, not the first
line of some other file), at most a few of them, each cut short with control characters escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from appraisal.errors import DataError
from appraisal.scheme.model import ColumnFormat
from appraisal.sql.dialect import quote_identifier as q
from appraisal.suggestions import suggest

SHOWN_NAMES = 8
SHOWN_CHARS = 40
SHOWN_LINES = 10  # line numbers of skipped rows kept with their count


@dataclass(frozen=True)
class Header:
    """The file's column names (`__file_row` left out) and whether they look like a real header."""

    names: list[str]
    real: bool

    def listed(self) -> str:
        """'its columns are: a, b, ...' when the header is real; else what to check."""
        if not self.real:
            return "its first line has none of the declared columns: check path, options.delimiter and options.header"
        shown = ", ".join(shown_text(n) for n in self.names[:SHOWN_NAMES])
        more = f" and {len(self.names) - SHOWN_NAMES} more" if len(self.names) > SHOWN_NAMES else ""
        return f"its columns are: {shown}{more}"

    def near(self, name: str) -> str:
        """'did you mean ...? ' when the header is real and has a close name."""
        near = suggest(name, self.names) if self.real else None
        return f"did you mean '{shown_text(near)}'? " if near else ""


def shown_text(text: str) -> str:
    """`text` fit to quote from a file: control characters escaped, cut to SHOWN_CHARS characters."""
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return escaped if len(escaped) <= SHOWN_CHARS else escaped[: SHOWN_CHARS - 1] + "…"


def built_columns(formats: Mapping[str, ColumnFormat]) -> dict[str, ColumnFormat]:
    """The declared timestamps built from a date column and a time column, by name."""
    return {name: f for name, f in formats.items() if f.date and f.time}


def scheme_names(
    label: str, file_names: list[str], rename: Mapping[str, str], needed: Iterable[str],
    built: Mapping[str, ColumnFormat],
) -> dict[str, str]:
    """File column -> the scheme's name for it, once every renamed and needed column is there.

    `needed` are scheme names (after renaming); a built column is needed through its parts.
    """
    expected = set(rename) | {n for n in needed if n not in rename.values()}
    header = Header(file_names, bool(expected & set(file_names)))
    for old in rename:
        if old not in file_names:
            raise DataError(f"{label}: rename: the file has no column '{shown_text(old)}'; "
                            f"{header.near(old)}{header.listed()}")
    names = {n: rename.get(n, n) for n in file_names}
    taken: dict[str, str] = {}  # the engine's names ignore case, as DuckDB's do
    for old, new in names.items():
        if new.lower() in taken:
            other = taken[new.lower()]
            renamed, kept = (old, other) if old in rename else (other, old)
            raise DataError(f"{label}: rename: '{shown_text(renamed)}' is renamed to "
                            f"'{shown_text(names[renamed])}', but the file has a column '{shown_text(kept)}' too; "
                            "rename that one as well or pick another name")
        taken[new.lower()] = old
    for name, f in built.items():
        if name.lower() in taken:
            raise DataError(f"{label}: column {name!r} is built from {f.date!r} and {f.time!r}, but the file has a "
                            f"column {name!r} too; rename one of them")
    wanted = [c for c in dict.fromkeys(needed) if c not in built]
    wanted += [part for f in built.values() for part in (f.date, f.time) if part]
    present = set(names.values())
    for column in dict.fromkeys(wanted):
        if column not in present:
            raise DataError(
                f"{label}: the file has no column '{shown_text(column)}'; {header.near(column)}{header.listed()}")
    return names


def named_view(
    connection: duckdb.DuckDBPyConnection, raw: str, raw_types: Mapping[str, str], names: Mapping[str, str],
    built: Mapping[str, ColumnFormat],
) -> str:
    """A view over `raw` with the scheme's names and the built columns; `raw` when nothing changes."""
    if all(old == new for old, new in names.items()) and not built:
        return raw
    view = f"{raw}__named"
    selects = [q(old) if old == new else f"{q(old)} AS {q(new)}" for old, new in names.items()]
    if "__file_row" in raw_types:
        selects.append(q("__file_row"))
    old_of = {new: old for old, new in names.items()}
    for name, f in built.items():
        date_col, time_col = old_of[str(f.date)], old_of[str(f.time)]
        selects.append(f"{_joined(_date_text(date_col, raw_types[date_col]), _cell_text(time_col))} AS {q(name)}")
    connection.execute(f"CREATE VIEW {q(view)} AS SELECT {', '.join(selects)} FROM {q(raw)}").fetchall()
    return view


def _cell_text(column: str) -> str:
    return f"nullif(trim(CAST({q(column)} AS VARCHAR)), '')"


def _date_text(column: str, raw_type: str) -> str:
    """A date cell as text; a date the source already typed (a workbook's date) as ISO."""
    base = raw_type.split("(")[0]
    if base in ("DATE", "TIMESTAMP") and "TIME ZONE" not in raw_type:
        return f"CAST(CAST({q(column)} AS DATE) AS VARCHAR)"
    return _cell_text(column)


def _joined(date: str, time: str) -> str:
    """The date and the time joined by a space; a lone half is marked so that it counts as
    unparseable (and shows why among example values), never read as midnight."""
    return (f"CASE WHEN {date} IS NULL AND {time} IS NULL THEN NULL "
            f"WHEN {time} IS NULL THEN {date} || ' (no time)' "
            f"WHEN {date} IS NULL THEN '(no date) ' || {time} "
            f"ELSE {date} || ' ' || {time} END")


def rejected_counts(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, int, tuple[int, ...]]]:
    """(cause, rows, first line numbers) of the rows a reader skipped, from its `(line, cause)` SQL."""
    rows = connection.execute(
        f"SELECT cause, count(*), list(line ORDER BY line)[1:{SHOWN_LINES}] FROM ({sql}) GROUP BY cause ORDER BY cause"
    ).fetchall()
    return [(str(cause), int(n), tuple(int(line) for line in lines)) for cause, n, lines in rows]


def drop_relation(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the view or table `name`."""
    [(views,)] = connection.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]).fetchall()
    connection.execute(f"DROP {'VIEW' if views else 'TABLE'} IF EXISTS {q(name)}").fetchall()
