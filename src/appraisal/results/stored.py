"""A run's appraisees kept in a Parquet file beside result.json (format appraisal-result/2).

`appraisal run` scores in the engine and copies a row per appraisee straight into
appraisees.parquet (`appraisal.scoring.run_tables`): no Python object per appraisee, and a
file a few megabytes at 100,000 appraisees where result.json held hundreds. result.json keeps
what is small: the scheme, the period, provenance, data quality and, under `appraisees`, the
file's name, row count and SHA-256, the scheme's `Rules` and where each indicator's values came
from.

Reading it back builds the same `AppraiseeResult`s the reference would have (tests hold the two
equal on every shipped scheme): each cell from its columns, and the total, adjustments, gates,
grade, pay and steps concluded by `results.concluding` from the stored cells and conditions.
A file whose SHA-256 is not the recorded one, or whose totals do not follow from its cells, is
refused: a run is evidence.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import duckdb

from appraisal.errors import AppraisalError
from appraisal.measuring.quality import is_quality_flag
from appraisal.results.concluding import Conclusion, Rules, conclude, rules_from_dict
from appraisal.results.result import AppraiseeResult, ScoredCell
from appraisal.scheme.model import INSUFFICIENT, OK

CELL = ("value", "rows", "flags", "target", "score", "effective", "contribution", "rule", "parts")
TOTALS = ("weighted_total", "adjustment_points", "total", "grade", "status")
PAY = ("bonus_base", "sales", "bonus", "commission", "pay_total")


def columns(indicators: int, rules: Rules) -> list[str]:
    """The file's columns, in order, for a scheme of `indicators` indicators and `rules`."""
    found = ["appraisee", "name", "team", "manager", "role", "flags"]
    found += [f"{part}_{m}" for m in range(indicators) for part in CELL]
    found += [*TOTALS, *(f"adjustment_{n}" for n in range(len(rules.adjustments))),
              *(f"gate_{n}" for n in range(len(rules.gates)))]
    return found + (list(PAY) if rules.incentives is not None else [])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class StoredAppraisees(Sequence[AppraiseeResult]):
    """The appraisees of `path`, read when first needed (`appraisal run --no-report` never does)."""

    def __init__(self, path: Path, layout: Mapping[str, Any], scheme: Mapping[str, Any]) -> None:
        self.path, self.layout, self.scheme = Path(path), layout, scheme

    def header(self) -> dict[str, Any]:
        """What result.json says of the file (`appraisees`)."""
        return {"file": self.path.name, **self.layout}

    def __len__(self) -> int:
        return int(self.layout["count"])

    @overload
    def __getitem__(self, index: int) -> AppraiseeResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[AppraiseeResult]: ...
    def __getitem__(self, index: int | slice) -> AppraiseeResult | Sequence[AppraiseeResult]:
        return self.loaded[index]

    def __iter__(self) -> Iterator[AppraiseeResult]:
        return iter(self.loaded)

    @cached_property
    def loaded(self) -> tuple[AppraiseeResult, ...]:
        return read(self.path, self.layout, self.scheme)


def read(path: Path, layout: Mapping[str, Any], scheme: Mapping[str, Any]) -> tuple[AppraiseeResult, ...]:
    """Every appraisee of the file `path` described by `layout`; an `AppraisalError` saying what
    is wrong with a file that is missing, changed or does not add up."""
    if not path.is_file():
        raise AppraisalError(f"{path} is missing: the run's appraisees are kept there")
    if sha256(path) != layout["sha256"]:
        raise AppraisalError(f"{path} was changed after the run: its SHA-256 is not the one result.json records")
    try:
        rules = rules_from_dict(layout["rules"])
        cells = _Cells(layout, scheme)
    except (KeyError, TypeError, ValueError) as exc:
        raise AppraisalError(f"{path.parent / 'result.json'} is damaged: appraisees: {exc}") from None
    expected = columns(len(cells.ids), rules)
    connection = duckdb.connect(config={"threads": 1})
    try:
        cursor = connection.execute("SELECT * FROM read_parquet(?)", [str(path)])
        found = [d[0] for d in cursor.description or ()]
        if found != expected:
            raise AppraisalError(f"{path} is not a run's appraisees: its columns are not the ones its scheme gives")
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        raise AppraisalError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    finally:
        connection.close()
    if len(rows) != layout["count"]:
        raise AppraisalError(f"{path} holds {len(rows)} appraisees where result.json records {layout['count']}")
    return tuple(_appraisee(path, rules, cells, row) for row in rows)


class _Cells:
    """What every row's cells share: the indicators' titles, units, kinds, weights and sources."""

    def __init__(self, layout: Mapping[str, Any], scheme: Mapping[str, Any]) -> None:
        described = {i["id"]: i for i in scheme["indicators"]}
        self.ids = [str(i["id"]) for i in layout["indicators"]]
        self.summary = [_about(described[i]) for i in self.ids]
        self.sources = [str(i["source"]) for i in layout["indicators"]]
        self.measured = [i["measured"] is True for i in layout["indicators"]]
        places = {i: m for m, i in enumerate(self.ids)}
        self.formulas = [(places[f], [str(n) for n in layout["indicators"][places[f]]["inherits"]])
                         for f in layout["formulas"]]
        self.width = len(CELL)

    def flags(self, row: Sequence[Any]) -> list[tuple[str, ...]]:
        """Each cell's flags: a measured one's as stored; a formula's, the data-quality warnings
        of the values it is computed from, as the reference carries them on."""
        found = [tuple(row[6 + m * self.width + 2] or ()) if measured else () for m, measured in
                 enumerate(self.measured)]
        known = {self.ids[m] for m, measured in enumerate(self.measured) if measured}
        for m, names in self.formulas:
            found[m] = tuple(dict.fromkeys(f for name in sorted(names) if name in known
                                           for f in found[self.ids.index(name)] if is_quality_flag(f)))
            known.add(self.ids[m])
        return found


def _about(indicator: Mapping[str, Any]) -> dict[str, Any]:
    """What every cell of an indicator shows, from the scheme's summary in result.json."""
    title, unit, kind, weight = (indicator[k] for k in ("title", "unit", "kind", "weight"))
    if not isinstance(title, dict) or not all(isinstance(t, str) for t in (unit, kind)):
        raise TypeError(f"indicator {indicator['id']!r}: title, unit or kind of another type")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise TypeError(f"indicator {indicator['id']!r}: weight is not a number")
    return {"title": title, "unit": unit, "kind": kind, "weight": weight}


def _appraisee(path: Path, rules: Rules, shared: _Cells, row: Sequence[Any]) -> AppraiseeResult:
    flags = shared.flags(row)
    cells = []
    for m, indicator in enumerate(shared.ids):
        value, rows, _, target, score, effective, contribution, rule, parts = row[6 + m * shared.width:
                                                                                  6 + (m + 1) * shared.width]
        about = shared.summary[m]
        cells.append(ScoredCell(
            indicator=indicator, title=about["title"], unit=about["unit"], kind=about["kind"], value=value,
            rows=rows, status=OK if value is not None else INSUFFICIENT, target=target, score=score,
            weight=about["weight"], effective_weight=effective, contribution=contribution, rule=rule or "",
            source=shared.sources[m], flags=flags[m], rule_parts=None if parts is None else json.loads(parts)))
    totals = 6 + len(shared.ids) * shared.width
    weighted_total, adjustment_points, total, grade, status = row[totals:totals + 5]
    held = row[totals + 5:totals + 5 + len(rules.adjustments) + len(rules.gates)]
    adjusted = len(rules.adjustments)

    def applies(kind: str, n: int, _total: float) -> bool:
        return held[n if kind == "adjustment" else adjusted + n] is True

    pay = row[totals + 5 + len(held):]
    found = conclude(rules, cells, applies, base=pay[0] if pay else None, sales=pay[1] if pay else None)
    stored = (weighted_total, adjustment_points, total, grade, status, pay[4] if pay else None)
    if not _agrees(found, stored):
        raise AppraisalError(f"{path} does not add up: the totals stored for {row[0]!r} are not what its cells give;"
                             " the file was changed after the run")
    return AppraiseeResult(
        id=row[0], name=row[1], team=row[2], manager=row[3], role=row[4], flags=tuple(row[5] or ()),
        cells=tuple(cells), weighted_total=found.weighted_total, adjustment_points=found.adjustment_points,
        total=found.total, grade=found.grade, status=found.status, effects=found.effects, steps=found.steps,
        incentives=found.incentives, step_parts=found.step_parts, status_parts=found.status_parts)


def _agrees(found: Conclusion, stored: tuple[Any, ...]) -> bool:
    weighted_total, adjustment_points, total, grade, status, pay_total = stored
    kind = "failed" if found.status.startswith("failed") else found.status
    paid = None if found.incentives is None else found.incentives["total"]
    return (kind == status and found.grade == grade and _close(found.weighted_total, weighted_total)
            and _close(found.adjustment_points, adjustment_points) and _close(found.total, total)
            and _close(paid, pay_total))


def _close(a: float | None, b: float | None) -> bool:
    """Equal, or both None; the engine's sums may differ from Python's in the last bits."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
