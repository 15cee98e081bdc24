"""Text for a terminal: control characters that come from data are shown, never obeyed.

A name, a ticket subject or a header in an export can hold terminal escape sequences
(`\\x1b]0;...\\x07` retitles the window, `\\x1b[2J` clears it, OSC 52 writes the clipboard) or
Unicode bidirectional overrides that make text read differently from what it is. Every CLI line
that shows data goes through `echo` (or `printable`), so such characters are written as visible
escapes (`\\x1b`, `\\u202e`), whether stdout is a terminal or a pipe (a pipe often ends in one).
JSON output escapes them the JSON way (`json_printable`), so it still parses to the same text.
"""

from __future__ import annotations

import typer

# C0 and C1 control characters and DEL, and the invisible characters that reorder or hide text
# (bidirectional marks, embeddings, overrides and isolates; line and paragraph separators).
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_INVISIBLE = [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_TABLE = {code: _escape(code) for code in (*_CONTROLS, *_INVISIBLE)}
_LINES = {code: text for code, text in _TABLE.items() if code not in (0x0A, 0x09)}  # keeps \n and \t
_JSON = {code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), *_INVISIBLE)}  # json.dumps did C0


def printable(text: object, *, lines: bool = False) -> str:
    """`text` with every control character written as an escape; `lines=True` keeps newlines
    and tabs (a message of several lines), otherwise one line stays one line."""
    return str(text).translate(_LINES if lines else _TABLE)


def json_printable(text: str) -> str:
    """JSON text (from json.dumps, which escapes C0 itself) with the other control characters
    as `\\uXXXX` escapes: the same JSON value, safe on a terminal."""
    return text.translate(_JSON)


def echo(text: object = "", *, err: bool = False) -> None:
    """Print one line that may show data: `typer.echo` of `printable(text)`."""
    typer.echo(printable(text), err=err)


def echo_json(data: object) -> None:
    """Print `data` as indented JSON (names as they are, control characters escaped): `--json`."""
    import json  # only for --json

    typer.echo(json_printable(json.dumps(data, indent=2, ensure_ascii=False)))
