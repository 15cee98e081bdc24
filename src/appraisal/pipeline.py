"""The Python API behind `appraisal run`: scheme + period in, `Result` out.

load (checked scheme) -> measure (DuckDB) -> appraise (scores, totals, grades) -> Result with
provenance: the scheme's hash, a fingerprint of every data file read, and the versions of the
package, DuckDB and every loaded plugin, so a result says exactly what produced it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appraisal.results.result import Result

if TYPE_CHECKING:
    from appraisal.measuring.measurements import Measurements
    from appraisal.scheme.model import Scheme
    from appraisal.periods import Period

_CHUNK = 1 << 20


def data_fingerprint(scheme: Scheme) -> str:
    """SHA-256 over every declared file's name and bytes, in a fixed order."""
    files = [scheme.roster.source.path] if scheme.roster else []
    files += [scheme.ratings.path] if scheme.ratings else []
    files += [d.source.path for d in scheme.datasets.values()]
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def provenance(scheme: Scheme) -> dict[str, Any]:
    import duckdb

    from appraisal import __version__, plugins

    return {
        "scheme_file": str(Path(scheme.source).resolve()),
        "scheme_sha256": scheme.digest,
        "data_sha256": data_fingerprint(scheme),
        "appraisal": __version__,
        "duckdb": duckdb.__version__,
        "plugins": [{"name": p.name, "version": p.version, "source": p.source} for p in plugins.list_plugins()],
    }


def run(
    scheme: Scheme, period: Period, *, threads: int | None = None, strict: bool = False, groups: Sequence[str] = (),
) -> Result:
    """Measure and appraise `scheme` for `period`; `groups` (team, manager, roster) adds group
    rows, each from its members' rows pooled (`Result.groups`).

    A period that is not the scheme's is refused unless the scheme says how its targets scale
    (`appraisal.measuring.targets`). Data-quality counts are judged (`appraisal.measuring.quality`):
    one above its error level (with `strict`, its warning level too) raises `QualityBreach`
    before anything is appraised; one above its warning level flags the cells computed from it.
    """
    from appraisal import plugins
    from appraisal.measuring.measurements import measure
    from appraisal.measuring.quality import as_row, assess, warning_flags
    from appraisal.measuring.targets import fit_targets
    from appraisal.measuring.targets import flags as scaled_flags
    from appraisal.scoring.grading import appraise_all, appraise_groups, calibration

    functions = plugins.get_functions()
    fitted = fit_targets(scheme, period)
    measurements = measure(fitted, period, threads=threads, functions=functions, groups=groups)
    assessment = assess(scheme, measurements.quality, strict=strict)
    assessment.check()
    measurements = with_flags(measurements, {i: (f,) for i, f in scaled_flags(scheme, period).items()})
    measurements = with_flags(measurements, warning_flags(scheme, assessment))
    appraisees = appraise_all(measurements, functions)
    return Result(
        scheme=_scheme_summary(scheme),
        period={"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
                "timezone": scheme.timezone},
        provenance=provenance(scheme),
        appraisees=appraisees,
        quality=tuple(as_row(finding) for finding in assessment.findings),
        queries=_queries(measurements),
        grades=tuple({"grade": g.grade, "min": g.min, "max": None if g.max == float("inf") else g.max,
                      "title": dict(g.title)} for g in scheme.grades),
        calibration=calibration(scheme, appraisees),
        groups=appraise_groups(measurements, functions),
    )


def with_flags(measurements: Measurements, by_indicator: Mapping[str, tuple[str, ...]]) -> Measurements:
    """`measurements` with flags added to every cell of the indicators named."""
    if not by_indicator:
        return measurements
    cells = {
        key: replace(cell, flags=(*cell.flags, *by_indicator[key[1]])) if key[1] in by_indicator else cell
        for key, cell in measurements.cells.items()
    }
    return replace(measurements, cells=MappingProxyType(cells))


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
