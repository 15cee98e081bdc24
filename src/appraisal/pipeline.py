"""The Python API behind the commands: scheme + period in, `Result` out, and back to the rows.

load (checked scheme) -> measure (DuckDB) -> appraise (scores, totals, grades) -> Result with
provenance: the scheme's hash, a fingerprint of every data file read, and the versions of the
package, DuckDB and every loaded plugin, so a result says exactly what produced it.

This is the outer edge of the API: each function takes the plugins' `Extensions` as a value and,
given none, uses the ones this process loads (`appraisal.plugins.extensions()`). The stages
below take it as a parameter and never load plugins themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from appraisal import __version__, plugins
from appraisal.engines.remote import EMBEDDED
from appraisal.measuring import corrections as correcting
from appraisal.measuring.measurements import Measured, Measurements, measuring, with_flags
from appraisal.measuring.quality import Assessment, as_row, assess, warning_flags
from appraisal.measuring.targets import fit_targets
from appraisal.measuring.targets import flags as scaled_flags
from appraisal.plugins import Extensions
from appraisal.results.fingerprint import Hashing, data_files
from appraisal.results.result import AppraiseeResult, Result
from appraisal.results.row_evidence import CountedRows
from appraisal.results.stored import StoredAppraisees
from appraisal.results.storing import APPRAISEES_FILE, load_run
from appraisal.scheme import packs, validation
from appraisal.scoring.grading import appraise_all, appraise_groups, calibration, calibration_of
from appraisal.scoring.in_engine import score_in_engine
from appraisal.scoring.run_tables import copy_run_tables, stored_layout

if TYPE_CHECKING:
    from appraisal import row_reader
    from appraisal.expressions.functions import FunctionRegistry
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
    groups: Sequence[str] = (), engine: str = EMBEDDED, settings: Mapping[str, str] | None = None,
) -> Measurements:
    """Every measured value of `scheme` for `period`, with the data-quality counts (not judged);
    `engine` (with its connection `settings`) is where the datasets' queries run."""
    with measuring(scheme, period, _or_loaded(extensions), threads=threads, groups=groups, engine_name=engine,
                   settings=settings) as measured:
        return measured.to_measurements()


def provenance(
    scheme: Scheme, extensions: Extensions, engine: Mapping[str, str] | None = None,
    hashed: tuple[str, list[dict[str, str]]] | None = None,
) -> dict[str, Any]:
    """What produced a result: the scheme file and hash, the data's fingerprint, versions, and
    the engine the datasets were measured on (its name, version and dialect; never its settings).
    `hashed`: the data's `data_files`, when already computed (`run` hashes while it measures)."""
    fingerprint, files = hashed if hashed is not None else data_files(scheme)
    return {
        "scheme_file": str(Path(scheme.source).resolve()),
        "scheme_sha256": scheme.digest,
        "data_sha256": fingerprint,
        "data_files": files,
        "appraisal": __version__,
        "duckdb": duckdb.__version__,
        "engine": dict(engine or {"name": EMBEDDED, "version": duckdb.__version__, "dialect": EMBEDDED}),
        "plugins": [{"name": p.name, "version": p.version, "source": p.source} for p in extensions.plugins],
    }


def run(
    scheme: Scheme, period: Period, *, extensions: Extensions | None = None, threads: int | None = None,
    strict: bool = False, groups: Sequence[str] = (), tables: Path | None = None, engine: str = EMBEDDED,
    settings: Mapping[str, str] | None = None, corrections: Sequence[Mapping[str, Any]] = (),
) -> Result:
    """Measure and appraise `scheme` for `period`; `groups` (team, manager, roster) adds group
    rows, each from its members' rows pooled (`Result.groups`).

    A period that is not the scheme's is refused unless the scheme says how its targets scale
    (`appraisal.measuring.targets`). Data-quality counts are judged (`appraisal.measuring.quality`):
    one above its error level (with `strict`, its warning level too) raises `QualityBreach`
    before anything is appraised; one above its warning level flags the cells computed from it.
    With `tables` (a folder), the run is scored in the engine and its scores.csv, totals.csv and
    appraisees.parquet copied out there (`appraisal.scoring.run_tables`): the result's appraisees
    are that file, read only when first used (`appraisal.results.stored`), and `write_run`
    stores it as format appraisal-result/2. Without, they are appraised in Python (the reference).
    `engine` (with its connection `settings`) is where the datasets' queries run
    (`appraisal.engines.remote`); scoring and writing happen here either way.
    `corrections` (of accepted appeals, `appraisal.measuring.corrections`) are applied as the
    run is measured, and listed in the result.
    """
    extensions = _or_loaded(extensions)
    functions = extensions.functions
    applied = [correcting.Correction.from_dict(c) for c in corrections]
    for correction in applied:
        correcting.check(scheme, correction)
    scheme = correcting.with_exclusions(scheme, applied, functions)
    fitted = fit_targets(scheme, period)
    hashing: list[Hashing] = []  # the files hashed while the engine reads them, once they passed its checks
    try:
        return _run(scheme, fitted, period, extensions, hashing, threads=threads, strict=strict, groups=groups,
                    tables=tables, engine=engine, settings=settings, corrections=corrections, applied=applied)
    except BaseException:
        for started in hashing:  # the run failed: no thread goes on reading its files
            started.stop()
        raise


def _run(
    scheme: Scheme, fitted: Scheme, period: Period, extensions: Extensions, hashing: list[Hashing], *,
    threads: int | None, strict: bool, groups: Sequence[str], tables: Path | None, engine: str,
    settings: Mapping[str, str] | None, corrections: Sequence[Mapping[str, Any]],
    applied: Sequence[correcting.Correction],
) -> Result:
    """`run` once its corrections are checked; `hashing` gets the hashing of the files it starts."""
    functions = extensions.functions
    with measuring(fitted, period, extensions, threads=threads, groups=groups, engine_name=engine,
                   settings=settings, checked=lambda: hashing.append(Hashing(scheme))) as measured:
        used = measured.engine.described()
        assessment = assess(scheme, measured.quality, strict=strict)
        assessment.check()
        correcting.apply(measured.engine.connection, measured.wide, measured.quality, applied)
        flags = _cell_flags(scheme, period, assessment)
        if tables is None:
            measurements = with_flags(measured.to_measurements(), flags)
        else:
            stored, graded = _scored_in_engine(measured, functions, tables, flags)
            measurements = Measurements(fitted, period, (), {}, measured.quality, measured.queries,
                                        groups=measured.groups)
    # The engine closed first: its memory is free before Python builds the appraisal's objects.
    summary = _scheme_summary(scheme)
    appraisees: Sequence[AppraiseeResult]
    if tables is None:
        appraisees = appraise_all(measurements, functions)
        advice = calibration(scheme, appraisees)
    else:
        appraisees = StoredAppraisees(tables / APPRAISEES_FILE, stored, summary)
        advice = calibration_of(scheme, graded)
    return Result(
        scheme=summary,
        period={"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
                "timezone": scheme.timezone},
        provenance=provenance(scheme, extensions, used, hashing[0].result() if hashing else None),
        appraisees=appraisees,
        quality=tuple(as_row(finding) for finding in assessment.findings),
        queries=_queries(measurements),
        grades=tuple({"grade": g.grade, "min": g.min, "max": None if g.max == float("inf") else g.max,
                      "title": dict(g.title)} for g in scheme.grades),
        calibration=advice,
        groups=appraise_groups(measurements, functions),
        corrections=tuple(dict(c) for c in corrections),
    )


def _cell_flags(scheme: Scheme, period: Period, assessment: Assessment) -> dict[str, tuple[str, ...]]:
    """What every cell of an indicator carries: its target scaled to the period, then the
    data-quality warnings of the columns it is computed from."""
    found: dict[str, tuple[str, ...]] = {i: (f,) for i, f in scaled_flags(scheme, period).items()}
    for indicator, warned in warning_flags(scheme, assessment).items():
        found[indicator] = (*found.get(indicator, ()), *warned)
    return found


def _scored_in_engine(
    measured: Measured, functions: FunctionRegistry, tables: Path, flags: dict[str, tuple[str, ...]],
) -> tuple[dict[str, Any], dict[str, int]]:
    """Score in the engine and copy the run's tables into `tables`: what result.json says of
    appraisees.parquet, and how many appraisees each grade has."""
    scored = score_in_engine(measured, functions)
    copy_run_tables(measured, scored, tables, flags)
    graded = measured.engine.connection.execute(
        f"SELECT grade, count(*) FROM {scored} WHERE grade IS NOT NULL GROUP BY grade").fetchall()
    return stored_layout(measured, scored, tables / APPRAISEES_FILE), {grade: int(n) for grade, n in graded}


def explain(
    folder: Path, appraisee: str, indicator: str | None = None, *, extensions: Extensions | None = None, rows: int = 5,
) -> list[str]:
    """How one appraisee's values, scores and grade in the run in `folder` came to be, as lines;
    with `indicator`, down to the first `rows` rows behind its value."""
    # explaining and the row reader: 20 ms that `run` would pay for importing this module
    from appraisal.explaining import explain as explained
    from appraisal.row_reader import rows_of

    result = load_run(folder, appraisee=appraisee)
    evidence = rows_of(result, _or_loaded(extensions), rows)
    return explained(result, appraisee, indicator, rows=evidence)


def row_evidence(
    result: Result, *, extensions: Extensions | None = None, limit: int = 5,
    progress: row_reader.Progress | None = None,
) -> dict[tuple[str, str], CountedRows]:
    """The first `limit` rows behind every measured value of `result`, by appraisee and
    indicator: what the drill-down pages of a report show (`rendering.reports.render_report`)."""
    from appraisal.row_reader import counted_rows  # 13 ms that `run` would pay for importing this module

    return counted_rows(result, _or_loaded(extensions), limit=limit, progress=progress)


def _scheme_summary(scheme: Scheme) -> dict[str, Any]:
    return {
        "id": scheme.id,
        "version": scheme.version,
        "title": dict(scheme.title),
        "role": scheme.role,
        "period": scheme.period,
        "missing_data": scheme.missing_data,
        "quadrant": dict(scheme.quadrant) if scheme.quadrant else None,
        "appeals": dict(scheme.appeals),
        "employees_see_pay": bool(scheme.incentives and scheme.incentives.employees_see_pay),
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
