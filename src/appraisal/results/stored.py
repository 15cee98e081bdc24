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
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import duckdb

from appraisal.errors import AppraisalError
from appraisal.measuring.quality import is_quality_flag
from appraisal.results.concluding import Conclusion, Rules, conclude, rules_from_dict
from appraisal.results.result import AppraiseeResult, ScoredCell
from appraisal.scheme.model import INSUFFICIENT, OK

# Each cell's columns (`value_0`, `rows_0`, ... for the scheme's first indicator) and their types.
CELL = {"value": "DOUBLE", "rows": "BIGINT", "flags": "VARCHAR[]", "target": "DOUBLE", "score": "DOUBLE",
        "effective": "DOUBLE", "contribution": "DOUBLE", "rule": "VARCHAR", "parts": "VARCHAR"}
WHO = {"appraisee": "VARCHAR", "name": "VARCHAR", "team": "VARCHAR", "manager": "VARCHAR", "role": "VARCHAR",
       "flags": "VARCHAR[]"}
TOTALS = {"weighted_total": "DOUBLE", "adjustment_points": "DOUBLE", "total": "DOUBLE", "grade": "VARCHAR",
          "status": "VARCHAR"}
PAY = {"bonus_base": "DOUBLE", "sales": "DOUBLE", "bonus": "DOUBLE", "commission": "DOUBLE", "pay_total": "DOUBLE"}


def columns(indicators: int, rules: Rules) -> dict[str, str]:
    """The file's columns, in order, with their types, for a scheme of `indicators` indicators
    and `rules`: the contract between the writer (`scoring.run_tables`) and `read`."""
    found = dict(WHO)
    found.update({f"{part}_{m}": kind for m in range(indicators) for part, kind in CELL.items()})
    found.update(TOTALS)
    found.update({f"adjustment_{n}": "BOOLEAN" for n in range(len(rules.adjustments))})
    found.update({f"gate_{n}": "BOOLEAN" for n in range(len(rules.gates))})
    return {**found, **(PAY if rules.incentives is not None else {})}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class StoredAppraisees(Sequence[AppraiseeResult]):
    """The appraisees of `path`, read when first needed (`appraisal run --no-report` never does);
    with `only`, just the appraisee of that id (`appraisal explain` needs no other); `brief`: an
    earlier period beside a report, whose `history` is all that is read (iterated, it is read
    whole all the same)."""

    def __init__(
        self, path: Path, layout: Mapping[str, Any], scheme: Mapping[str, Any], only: str | None = None,
        brief: bool = False,
    ) -> None:
        self.path, self.layout, self.scheme, self.only, self.brief = Path(path), layout, scheme, only, brief

    def header(self) -> dict[str, Any]:
        """What result.json says of the file (`appraisees`)."""
        return {"file": self.path.name, **self.layout}

    def __len__(self) -> int:
        return len(self.loaded) if self.only is not None else int(self.layout["count"])

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
        return read(self.path, self.layout, self.scheme, only=self.only)

    @cached_property
    def history(self) -> list[dict[str, Any]]:
        """Each appraisee as an earlier period's history reads it (`rendering.history.history_view`):
        id, total, grade and each cell's indicator and score, as `Result.as_dict` has them; from
        the file's columns, checked as `read` checks it, with no object per cell (500,000 of
        them cost seconds at 100,000 appraisees); its totals are not concluded again."""
        with _reading(self.path) as connection:
            _, cells = _checked(self.path, self.layout, self.scheme, connection)
            scores = ", ".join(f"score_{m}" for m in range(len(cells.ids)))
            rows = connection.execute(
                f"SELECT appraisee, total, grade{', ' if scores else ''}{scores} FROM read_parquet(?)",
                [str(self.path)]).fetchall()
        if not all(isinstance(row[0], str) and row[0] for row in rows):
            raise AppraisalError(f"{self.path} is damaged: an appraisee has no id")
        return [{"id": row[0], "total": row[1], "grade": row[2],
                 "cells": [{"indicator": i, "score": score} for i, score in zip(cells.ids, row[3:], strict=True)]}
                for row in rows]

    def ids(self) -> list[str]:
        """Every appraisee's id, in the file's order, without reading the rest."""
        with _reading(self.path) as connection:
            found = [row[0] for row in connection.execute(
                "SELECT appraisee FROM read_parquet(?)", [str(self.path)]).fetchall()]
        if not all(isinstance(i, str) and i for i in found):
            raise AppraisalError(f"{self.path} is damaged: an appraisee has no id")
        return found


@contextmanager
def _reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private in-memory DuckDB to read `path`; what it cannot read is an `AppraisalError`."""
    connection = duckdb.connect(config={"threads": 1})
    try:
        connection.execute("SET enable_progress_bar = false").fetchall()
        yield connection
    except duckdb.Error as exc:
        raise AppraisalError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    finally:
        connection.close()


def read(
    path: Path, layout: Mapping[str, Any], scheme: Mapping[str, Any], *, only: str | None = None,
) -> tuple[AppraiseeResult, ...]:
    """Every appraisee of the file `path` described by `layout` (with `only`, the one of that id,
    if any); an `AppraisalError` saying what is wrong with a file that is missing, changed or
    does not add up."""
    with _reading(path) as connection:
        rules, cells = _checked(path, layout, scheme, connection)
        if only is None:
            rows = connection.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        else:
            rows = connection.execute("SELECT * FROM read_parquet(?) WHERE appraisee = ?", [str(path), only]).fetchall()
    parts: dict[str, Any] = {}  # a rule's parts, parsed once: cells of one rule and target share them
    try:
        return tuple(_appraisee(path, rules, cells, row, parts) for row in rows)
    except (ValueError, TypeError) as exc:
        raise AppraisalError(f"{path} is damaged: {exc}") from None


def _checked(
    path: Path, layout: Mapping[str, Any], scheme: Mapping[str, Any], connection: duckdb.DuckDBPyConnection,
) -> tuple[Rules, _Cells]:
    """The file's rules and cells, once `path` is there, unchanged (its SHA-256), of its scheme's
    columns and of the count result.json records (read with `connection`); else an
    `AppraisalError` saying which."""
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
    found = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    if [(name, str(kind)) for name, kind, *_ in found] != list(expected.items()):
        raise AppraisalError(f"{path} is not a run's appraisees: its columns are not the ones its scheme gives")
    [(count,)] = connection.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchall()
    if count != layout["count"]:
        raise AppraisalError(f"{path} holds {count} appraisees where result.json records {layout['count']}")
    return rules, cells


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
        self.width = len(CELL)  # a row: WHO, then each cell's CELL columns, TOTALS, conditions, PAY

    def flags(self, row: Sequence[Any]) -> list[tuple[str, ...]]:
        """Each cell's flags: a measured one's as stored; a formula's, the data-quality warnings
        of the values it is computed from, as the reference carries them on."""
        found = [_texts(row[len(WHO) + m * self.width + 2]) if measured else () for m, measured in
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


def _appraisee(path: Path, rules: Rules, shared: _Cells, row: Sequence[Any], parsed: dict[str, Any]) -> AppraiseeResult:
    flags = shared.flags(row)
    cells = []
    for m, indicator in enumerate(shared.ids):
        start = len(WHO) + m * shared.width
        value, rows, _, target, score, effective, contribution, rule, parts = row[start:start + shared.width]
        about = shared.summary[m]
        cells.append(ScoredCell(
            indicator=indicator, title=about["title"], unit=about["unit"], kind=about["kind"], value=value,
            rows=rows, status=OK if value is not None else INSUFFICIENT, target=target, score=score,
            weight=about["weight"], effective_weight=effective, contribution=contribution, rule=rule or "",
            source=shared.sources[m], flags=flags[m], rule_parts=None if parts is None else _parts(parts, parsed)))
    totals = len(WHO) + len(shared.ids) * shared.width
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
    if not isinstance(row[0], str) or not row[0]:
        raise ValueError("an appraisee has no id")
    return AppraiseeResult(
        id=row[0], name=row[1], team=row[2], manager=row[3], role=row[4], flags=_texts(row[5]),
        cells=tuple(cells), weighted_total=found.weighted_total, adjustment_points=found.adjustment_points,
        total=found.total, grade=found.grade, status=found.status, effects=found.effects, steps=found.steps,
        incentives=found.incentives, step_parts=found.step_parts, status_parts=found.status_parts)


def _parts(text: str, parsed: dict[str, Any]) -> Any:
    found = parsed.get(text)
    if found is None:
        found = parsed[text] = json.loads(text)
        if not isinstance(found, dict):
            raise ValueError("a rule's parts are not a JSON object")
    return found


def _texts(values: Sequence[Any] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if not all(isinstance(v, str) for v in values):
        raise ValueError("a flag is not a text")
    return tuple(values)


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
