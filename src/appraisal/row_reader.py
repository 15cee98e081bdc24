"""Reading the rows behind a stored run's values again, from the data the run used.

The one place after a run that opens its data: `explain --indicator` shows one value's rows
(`rows_of`), and the drill-down pages of a report show every value's (`counted_rows`, gathered
by the caller and handed to rendering as data, `results.row_evidence`). Rows are shown only if
neither the scheme file nor its data changed since the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal.engines.duckdb_engine import Engine, open_engine
from appraisal.explaining import RowSource
from appraisal.measuring.corrections import Correction, with_exclusions
from appraisal.periods import parse_period
from appraisal.results.fingerprint import data_fingerprint
from appraisal.results.result import Result
from appraisal.results.row_evidence import CountedRows
from appraisal.scheme.validation import load_scheme
from appraisal.sql.measures import compile_rows

if TYPE_CHECKING:
    from appraisal.plugins import Extensions
    from appraisal.scheme.model import Scheme

Progress = Callable[[int, int], None]


ALL_ROWS = 2**63 - 1  # the most rows `RowReader` asks for: every row there is


class RowReader:
    """The rows behind a run's values, from the data the run used, opened once for many cells.

    Rows are shown only if neither the scheme file nor its data changed since the run: an
    explanation of different data would be a false one. `counted` gives, for one appraisee and
    indicator, the counts and the first `limit` rows counted (in a fixed order) as data
    (`explaining.row_lines` says them in English). `extensions` are the plugins' (the scheme is
    checked with them, the data read through their sources, the query compiled with their
    functions).
    """

    def __init__(self, result: Result, extensions: Extensions, limit: int = 5):
        # DuckDB's LIMIT is a BIGINT: asking for more rows than it holds asks for them all.
        self.result, self.extensions, self.limit = result, extensions, min(limit, ALL_ROWS)
        self.engine: Engine | None = None
        self.scheme: Scheme | None = None
        self.why_not: Mapping[str, Any] | None = None
        scheme_file = Path(str(result.provenance.get("scheme_file", "")))
        # The scheme file by its name: these words end up in drill-down pages, which carry no
        # path of the operator's machine.
        if not scheme_file.is_file():
            self.why_not = {"key": "rows_scheme_gone", "file": scheme_file.name}
        elif (scheme := load_scheme(scheme_file, extensions)).digest != result.provenance.get("scheme_sha256"):
            self.why_not = {"key": "rows_scheme_changed", "file": scheme_file.name}
        elif tables := [s.table for s in scheme.sources() if s.in_database]:
            self.why_not = {"key": "rows_in_database", "table": str(tables[0])}
        elif data_fingerprint(scheme) != result.provenance.get("data_sha256"):
            self.why_not = {"key": "rows_data_changed"}
        else:  # a corrected version's rows are those its appeals left (appraisal.measuring.corrections)
            self.scheme = with_exclusions(scheme, [Correction.from_dict(c) for c in result.corrections],
                                          extensions.functions)

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def counted(self, appraisee: str, indicator: str) -> CountedRows:
        """The counts and first rows behind one measured value, or why they cannot be shown."""
        if self.scheme is None:
            return CountedRows(appraisee, why_not=self.why_not)
        if self.engine is None:
            self.engine = open_engine(self.scheme, self.extensions.sources)
        period = parse_period(str(self.result.period["label"]))
        query = compile_rows(self.scheme, self.scheme.indicator(indicator), period, self.extensions.functions,
                             appraisee, self.limit)
        cursor = self.engine.connection.execute(query.sql, list(query.params))
        names, found = [d[0] for d in cursor.description], cursor.fetchall()
        if not found:
            return CountedRows(appraisee, query.dataset, why_not={
                "key": "rows_none_counted", "appraisee": appraisee, "dataset": query.dataset})
        first = dict(zip(names, found[0], strict=True))
        shown = [i for i, n in enumerate(names) if n not in ("__rows_in_period", "__excluded")]
        return CountedRows(
            appraisee, query.dataset, int(first["__rows_in_period"]), int(first["__excluded"]),
            tuple(names[i] for i in shown), tuple(tuple(row[i] for i in shown) for row in found),
        )

def counted_rows(
    result: Result, extensions: Extensions, *, limit: int = 5, progress: Progress | None = None,
) -> dict[tuple[str, str], CountedRows]:
    """The rows behind every measured value of `result` (`RowEvidence`: what drill-down pages
    show), by appraisee and indicator, the data opened once; `progress(done, total)` after each
    appraisee."""
    found: dict[tuple[str, str], CountedRows] = {}
    with RowReader(result, extensions, limit) as reader:
        for done, person in enumerate(result.appraisees, 1):
            for cell in person.cells:
                if cell.kind == "measure":
                    found[(person.id, cell.indicator)] = reader.counted(person.id, cell.indicator)
            if progress is not None:
                progress(done, len(result.appraisees))
    return found


def rows_of(result: Result, extensions: Extensions, limit: int = 5) -> RowSource:
    """What `explaining.explain` reads one value's rows with: a `RowReader` opened for that value
    alone, when (and only if) the value is measured from a dataset."""

    def read(appraisee: str, indicator: str) -> CountedRows:
        with RowReader(result, extensions, limit) as reader:
            return reader.counted(appraisee, indicator)

    return read
