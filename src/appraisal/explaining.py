"""Explaining a score: from the grade back down to the data rows, in plain steps.

Reads a stored run (never recomputes its scores) and, for one indicator, reopens the scheme's
data to show the rows that were counted, after checking that neither the scheme nor the data
changed since the run: an explanation of different data would be a false one.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from appraisal.errors import AppraisalError
from appraisal.results import AppraiseeResult, Result, ScoredCell
from appraisal.storing import load_run


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{round(x, 4):g}"


def _title(cell: ScoredCell | dict[str, Any], language: str = "en") -> str:
    title = cell.title if isinstance(cell, ScoredCell) else cell.get("title", {})
    return title.get(language) or title.get("en") or next(iter(title.values()), "")


def find_appraisee(result: Result, appraisee: str) -> AppraiseeResult:
    try:
        return result.appraisee(appraisee)
    except KeyError:
        ids = [a.id for a in result.appraisees]
        close = difflib.get_close_matches(appraisee, ids, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"{len(ids)} appraisees, e.g. {', '.join(ids[:5])}"
        raise AppraisalError(f"no appraisee {appraisee!r} in this run; {hint}") from None


def explain(folder: Path, appraisee: str, indicator: str | None = None, *, rows: int = 5) -> list[str]:
    """The explanation as lines of text."""
    result = load_run(folder)
    person = find_appraisee(result, appraisee)
    scheme, period = result.scheme, result.period
    lines = [
        f"{person.id}" + (f" ({person.name})" if person.name else "") + (f", team {person.team}" if person.team else ""),
        f"scheme {scheme['id']} v{scheme['version']}, period {period['label']} "
        f"[{period['start']} .. {period['end']}) {period['timezone']}",
    ]
    if person.flags:
        lines.append(f"flags: {'; '.join(person.flags)}")
    cells = list(person.cells)
    if indicator is not None:
        cells = [c for c in cells if c.indicator == indicator]
        if not cells:
            known = [c.indicator for c in person.cells]
            close = difflib.get_close_matches(indicator, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"indicators: {', '.join(known)}"
            raise AppraisalError(f"no indicator {indicator!r} in this scheme; {hint}")
    for n, cell in enumerate(cells, 1):
        lines += _cell_lines(n, cell)
    if indicator is not None and cells[0].kind == "measure":
        lines += _row_lines(result, person.id, indicator, rows)
    elif indicator is None:
        lines.append("(add --indicator ID to see the rows behind one value)")
    if indicator is None:
        lines.append("total:")
        lines += [f"  {step}" for step in person.steps]
        for effect in person.effects:
            state = "applied" if effect.applied else "did not apply"
            lines.append(f"  {effect.kind} when {effect.when}: {effect.effect} ({effect.reason}) - {state}")
        lines.append(f"  total {_fmt(person.total)}, grade {person.grade or '-'}, status {person.status}")
    return lines


def _quantity(x: float | None, unit: str) -> str:
    """A value with its unit; `%` values are fractions, shown as percentages."""
    if x is None:
        return "-"
    if unit == "%":
        return f"{_fmt(x * 100)}%"
    return f"{_fmt(x)} {unit}" if unit else _fmt(x)


def _cell_lines(n: int, cell: ScoredCell) -> list[str]:
    lines = [
        f"{n}. {_title(cell)} [{cell.indicator}]",
        f"   value: {_quantity(cell.value, cell.unit)} from {cell.rows} rows ({cell.source}); status {cell.status}",
        f"   target: {_quantity(cell.target, cell.unit)}",
        f"   score: {_fmt(cell.score)} by {cell.rule}",
    ]
    if cell.weight:
        contribution = "-" if cell.contribution is None else _fmt(cell.contribution)
        lines.append(
            f"   weight {_fmt(cell.weight)}%, effective {_fmt(cell.effective_weight)}%: contributes {contribution} points"
        )
    if cell.flags:
        lines.append(f"   flags: {'; '.join(cell.flags)}")
    return lines


class RowReader:
    """The rows behind a run's values, from the data the run used, opened once for many cells.

    Rows are shown only if neither the scheme file nor its data changed since the run: an
    explanation of different data would be a false one. `lines` gives, for one appraisee and
    indicator, the counts and the first `limit` rows counted (in a fixed order).
    """

    def __init__(self, result: Result, limit: int = 5):
        from appraisal.pipeline import data_fingerprint
        from appraisal.validation import load_scheme

        self.result, self.limit = result, limit
        self.engine: Any = None
        self.scheme: Any = None
        self.why_not = ""
        scheme_file = Path(str(result.provenance.get("scheme_file", "")))
        if not scheme_file.is_file():
            self.why_not = f"the scheme file {scheme_file} is gone"
        elif (scheme := load_scheme(scheme_file)).digest != result.provenance.get("scheme_sha256"):
            self.why_not = f"{scheme_file} changed since the run"
        elif data_fingerprint(scheme) != result.provenance.get("data_sha256"):
            self.why_not = "the data files changed since the run"
        else:
            self.scheme = scheme

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def lines(self, appraisee: str, indicator: str) -> list[str]:
        from appraisal.compilation import compile_rows
        from appraisal.engine import open_engine
        from appraisal.periods import parse_period
        from appraisal.plugins import get_functions

        if self.scheme is None:
            return [f"rows: not shown, {self.why_not}"]
        if self.engine is None:
            self.engine = open_engine(self.scheme)
        period = parse_period(str(self.result.period["label"]))
        query = compile_rows(self.scheme, self.scheme.indicator(indicator), period, get_functions(), appraisee, self.limit)
        cursor = self.engine.connection.execute(query.sql, list(query.params))
        names, found = [d[0] for d in cursor.description], cursor.fetchall()
        if not found:
            return [f"rows: none of {appraisee}'s rows in {query.dataset} were counted in this period"]
        first = dict(zip(names, found[0], strict=True))
        shown = [n for n in names if n not in ("__rows_in_period", "__excluded")]
        lines = [
            f"rows: {first['__rows_in_period']} of {appraisee}'s rows in {query.dataset} fall in the period, "
            f"{first['__excluded']} excluded; the first {len(found)} counted:",
            " | ".join("in numerator" if n == "__in_numerator" else n for n in shown),
        ]
        for row in found:
            values = dict(zip(names, row, strict=True))
            lines.append(" | ".join("" if values[n] is None else str(values[n]) for n in shown))
        return lines


def _row_lines(result: Result, appraisee: str, indicator: str, limit: int) -> list[str]:
    """The first rows counted for this value, indented under the cell's lines."""
    with RowReader(result, limit) as reader:
        found = reader.lines(appraisee, indicator)
    return ["   " + found[0]] + ["     " + line for line in found[1:]]
