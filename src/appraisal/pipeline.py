"""The Python API behind the commands: scheme + period in, `Result` out, and back to the rows.

load (checked scheme) -> measure (DuckDB) -> appraise (scores, totals, grades) -> Result with
provenance: the scheme's hash, a fingerprint of every data file read, and the versions of the
package, DuckDB and every loaded plugin, so a result says exactly what produced it.

This is the outer edge of the API: each function takes the plugins' `Extensions` as a value and,
given none, uses the ones this process loads (`appraisal.plugins.extensions()`). The stages
below take it as a parameter and never load plugins themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from appraisal import __version__, explaining, plugins, row_reader
from appraisal.measuring.measurements import Measurements, measuring, with_flags
from appraisal.measuring.measurements import measure as measure_data
from appraisal.measuring.quality import as_row, assess, warning_flags
from appraisal.measuring.targets import fit_targets
from appraisal.measuring.targets import flags as scaled_flags
from appraisal.plugins import Extensions
from appraisal.results.fingerprint import data_fingerprint
from appraisal.results.result import Result
from appraisal.results.row_evidence import CountedRows
from appraisal.results.storing import load_run
from appraisal.scheme import packs, validation
from appraisal.scoring.grading import appraise_all, appraise_groups, calibration
from appraisal.scoring.in_engine import score_in_engine
from appraisal.scoring.run_tables import copy_run_tables

if TYPE_CHECKING:
    from appraisal.periods import Period
    from appraisal.scheme.model import Scheme


def _or_loaded(extensions: Extensions | None) -> Extensions:
    return extensions if extensions is not None else plugins.extensions()


def load_scheme(path: Path | str, *, extensions: Extensions | None = None) -> Scheme:
    """One scheme file, checked (syntax, schema, lint); a `SchemeError` listing every problem."""
    return validation.load_scheme(path, _or_loaded(extensions))


def find_scheme(reference: str, *, extensions: Extensions | None = None) -> Path | None:
    """The file of a scheme by name, `agent` or `retail:returns-agent`, among the loaded packs."""
    return packs.find_scheme(reference, _or_loaded(extensions).packs)


def measure(
    scheme: Scheme, period: Period, *, extensions: Extensions | None = None, threads: int | None = None,
    groups: Sequence[str] = (),
) -> Measurements:
    """Every measured value of `scheme` for `period`, with the data-quality counts (not judged)."""
    return measure_data(scheme, period, _or_loaded(extensions), threads=threads, groups=groups)


def provenance(scheme: Scheme, extensions: Extensions) -> dict[str, Any]:
    """What produced a result: the scheme file and hash, the data's fingerprint, and versions."""
    return {
        "scheme_file": str(Path(scheme.source).resolve()),
        "scheme_sha256": scheme.digest,
        "data_sha256": data_fingerprint(scheme),
        "appraisal": __version__,
        "duckdb": duckdb.__version__,
        "plugins": [{"name": p.name, "version": p.version, "source": p.source} for p in extensions.plugins],
    }


def run(
    scheme: Scheme, period: Period, *, extensions: Extensions | None = None, threads: int | None = None,
    strict: bool = False, groups: Sequence[str] = (), tables: Path | None = None,
) -> Result:
    """Measure and appraise `scheme` for `period`; `groups` (team, manager, roster) adds group
    rows, each from its members' rows pooled (`Result.groups`).

    A period that is not the scheme's is refused unless the scheme says how its targets scale
    (`appraisal.measuring.targets`). Data-quality counts are judged (`appraisal.measuring.quality`):
    one above its error level (with `strict`, its warning level too) raises `QualityBreach`
    before anything is appraised; one above its warning level flags the cells computed from it.
    With `tables` (a folder), the run's scores.csv and totals.csv are written there, scored and
    copied out by the engine (`appraisal.scoring.run_tables`) rather than from Python objects.
    """
    extensions = _or_loaded(extensions)
    functions = extensions.functions
    fitted = fit_targets(scheme, period)
    with measuring(fitted, period, extensions, threads=threads, groups=groups) as measured:
        measurements = measured.to_measurements()
        assessment = assess(scheme, measurements.quality, strict=strict)
        assessment.check()
        measurements = with_flags(measurements, {i: (f,) for i, f in scaled_flags(scheme, period).items()})
        measurements = with_flags(measurements, warning_flags(scheme, assessment))
        if tables is not None:
            copy_run_tables(measured, score_in_engine(measured, functions), tables)
    # The engine closed first: its memory is free before Python builds the appraisal's objects.
    appraisees = appraise_all(measurements, functions)
    return Result(
        scheme=_scheme_summary(scheme),
        period={"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
                "timezone": scheme.timezone},
        provenance=provenance(scheme, extensions),
        appraisees=appraisees,
        quality=tuple(as_row(finding) for finding in assessment.findings),
        queries=_queries(measurements),
        grades=tuple({"grade": g.grade, "min": g.min, "max": None if g.max == float("inf") else g.max,
                      "title": dict(g.title)} for g in scheme.grades),
        calibration=calibration(scheme, appraisees),
        groups=appraise_groups(measurements, functions),
    )


def explain(
    folder: Path, appraisee: str, indicator: str | None = None, *, extensions: Extensions | None = None, rows: int = 5,
) -> list[str]:
    """How one appraisee's values, scores and grade in the run in `folder` came to be, as lines;
    with `indicator`, down to the first `rows` rows behind its value."""
    result = load_run(folder)
    evidence = row_reader.rows_of(result, _or_loaded(extensions), rows)
    return explaining.explain(result, appraisee, indicator, rows=evidence)


def row_evidence(
    result: Result, *, extensions: Extensions | None = None, limit: int = 5,
    progress: row_reader.Progress | None = None,
) -> dict[tuple[str, str], CountedRows]:
    """The first `limit` rows behind every measured value of `result`, by appraisee and
    indicator: what the drill-down pages of a report show (`rendering.reports.render_report`)."""
    return row_reader.counted_rows(result, _or_loaded(extensions), limit=limit, progress=progress)


def _scheme_summary(scheme: Scheme) -> dict[str, Any]:
    return {
        "id": scheme.id,
        "version": scheme.version,
        "title": dict(scheme.title),
        "role": scheme.role,
        "period": scheme.period,
        "missing_data": scheme.missing_data,
        "quadrant": dict(scheme.quadrant) if scheme.quadrant else None,
        "indicators": [
            {"id": i.id, "title": dict(i.title), "definition": dict(i.definition), "unit": i.unit, "kind": i.kind,
             "direction": i.direction, "weight": i.weight}
            for i in scheme.indicators
        ],
    }


def _queries(measurements: Measurements) -> dict[str, dict[str, Any]]:
    return {
        name: {"sql": q.sql, "params": [str(p) for p in q.params], "indicators": list(q.indicators)}
        for name, q in measurements.queries.items()
    }


def scheme_path_of(result: Result) -> Path:
    return Path(str(result.provenance["scheme_file"]))
