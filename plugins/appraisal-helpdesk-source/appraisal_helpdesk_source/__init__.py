"""A data source for a help-desk JSON export: `source: helpdesk` in a scheme.

The export is one JSON object holding a list of tickets, each with nested objects:

    {"export": {"generated_at": "...",
                "tickets": [{"id": "T-1", "assignee": {"id": "a1", "name": "..."},
                             "created_at": "...", "first_reply_at": "...", "solved_at": null,
                             "status": "solved", "via": {"channel": "chat"},
                             "satisfaction": {"score": "good"}}]}}

DuckDB reads the file and flattens it itself (`read_json`, `unnest`, struct field access), so
no ticket passes through Python. The reader declares the export's shape, which keeps every
cell as text (appraisal coerces the columns a scheme declares and counts what does not fit),
and gives a view with one row per ticket and these columns:

    ticket_id, agent_id, agent_name, created_at, first_reply_at, solved_at, status,
    channel, satisfaction

`satisfaction` is the help desk's rating: `good`, `bad`, `offered` (asked, not answered) or
empty (never asked). Fields missing from a ticket are empty; fields the reader does not know
are ignored.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from appraisal import DataError, SourceReader, hookimpl, inline_literal, quote_identifier

if TYPE_CHECKING:
    import duckdb

    from appraisal import Source

try:
    __version__ = version("appraisal-helpdesk-source")
except PackageNotFoundError:  # imported from a checkout without installing
    __version__ = "0.0.0"

# The export's shape, as DuckDB types: declared rather than guessed, so every cell stays text
# (no timestamp guessed from a sample) and a missing field is NULL, not a binder error.
_TICKET = (
    "STRUCT(id VARCHAR, assignee STRUCT(id VARCHAR, name VARCHAR), created_at VARCHAR, "
    "first_reply_at VARCHAR, solved_at VARCHAR, status VARCHAR, via STRUCT(channel VARCHAR), "
    "satisfaction STRUCT(score VARCHAR))"
)
_EXPORT = f"STRUCT(generated_at VARCHAR, tickets {_TICKET}[])"

# Output column <- field of one ticket `t`.
COLUMNS = {
    "ticket_id": "t.id",
    "agent_id": "t.assignee.id",
    "agent_name": "t.assignee.name",
    "created_at": "t.created_at",
    "first_reply_at": "t.first_reply_at",
    "solved_at": "t.solved_at",
    "status": "t.status",
    "channel": "t.via.channel",
    "satisfaction": "t.satisfaction.score",
}

_DEFAULT_OBJECT = 16 * 1024 * 1024  # DuckDB's own default maximum_object_size
_LARGEST_OBJECT = 2**32 - 1  # maximum_object_size is an unsigned 32-bit number


_SHAPE = 'one JSON object {"export": {"tickets": [...]}}'


def _first_line(exc: Exception) -> str:
    """DuckDB's message without its class prefix or its advice on read_json's options, which
    the user of a scheme cannot act on."""
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    line = line.split(" Try setting ")[0]
    for prefix in ("Invalid Input Error: ", "IO Error: "):
        line = line.removeprefix(prefix)
    return line


def _read_json(source: Source) -> str:
    """`read_json` over the export: one record, the top-level object, with a declared shape."""
    # The whole export is one JSON object, so it must fit in one "object" for DuckDB.
    size = min(max(source.path.stat().st_size + 1, _DEFAULT_OBJECT), _LARGEST_OBJECT)
    return (
        f"read_json({inline_literal(str(source.path))}, format = 'unstructured', records = true, "
        f"columns = {{'export': {inline_literal(_EXPORT)}}}, maximum_object_size = {size})"
    )


def load_helpdesk(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
    """Create the view `table`: one row per ticket of the export at `source.path`."""
    import duckdb

    reader = _read_json(source)
    name = source.path.name
    try:
        # Reading the file once here turns malformed JSON into an error naming the file now,
        # not a failure somewhere later, when the engine first reads the view.
        [(objects, exports, lists)] = connection.execute(
            f"SELECT count(*), count(export), count(export.tickets) FROM {reader}"
        ).fetchall()
    except duckdb.Error as exc:
        raise DataError(f"{name} is not a readable help-desk export: {_first_line(exc)}") from None
    if objects != 1 or exports != 1 or lists != 1:
        raise DataError(
            f"{name} is not a help-desk export: expected {_SHAPE}, found {objects} JSON "
            f"object(s), {exports} with 'export', {lists} with 'export.tickets'"
        )
    selects = ", ".join(f"{field} AS {quote_identifier(column)}" for column, field in COLUMNS.items())
    connection.execute(
        f"CREATE VIEW {quote_identifier(table)} AS SELECT {selects} "
        f"FROM (SELECT unnest(export.tickets) AS t FROM {reader})"
    ).fetchall()


@hookimpl
def register_sources(register):
    register(
        SourceReader(
            "helpdesk",
            load_helpdesk,
            (".json",),
            "Help-desk JSON export, flattened to one row per ticket: " + ", ".join(COLUMNS),
        )
    )
