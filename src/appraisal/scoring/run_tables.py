"""A run's scores.csv and totals.csv copied out of the engine (appraisal.results.copying) from the
scores computed there (appraisal.scoring.in_engine): the same bytes `storing.write_tables` writes
from the appraisal's Python objects, without one per cell.

A cell's rule is words (`scores.rule_words`) that depend only on its rule case and its target:
they are made in Python once per distinct (indicator, case, target) and joined in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from appraisal.measuring.measurements import employment
from appraisal.results.copying import copy_csv, number, text
from appraisal.results.inert import csv_text
from appraisal.results.storing import SCORE_COLUMNS, TOTAL_COLUMNS
from appraisal.scheme.model import BONUS_BASE, INSUFFICIENT, OK, ROSTER, SALES
from appraisal.scoring.scores import rule_words
from appraisal.sql.dialect import inline_literal
from appraisal.sql.dialect import quote_identifier as q
from appraisal.sql.scoring import (
    contribution_column,
    effective_column,
    rule_column,
    score_column,
    value_column,
)

if TYPE_CHECKING:
    from appraisal.measuring.measurements import Measured
    from appraisal.scheme.model import Indicator

SCORES, TOTALS = SCORE_COLUMNS, TOTAL_COLUMNS  # the headers storing.write_tables writes


def copy_run_tables(measured: Measured, scored: str, folder: Path) -> list[Path]:
    """Write scores.csv and totals.csv of the appraisal scored into the table `scored` into `folder`."""
    scores, totals = Path(folder) / "scores.csv", Path(folder) / "totals.csv"
    targets = _targets(measured)
    _words(measured, scored, targets)
    copy_csv(measured.engine, _scores(measured, scored, targets), SCORES, ("appraisee",), scores)
    copy_csv(measured.engine, _totals(measured, scored), TOTALS, ("appraisee", "name", "team", "flags"), totals)
    return [scores, totals]


def _targets(measured: Measured) -> dict[str, str]:
    """Each indicator's target as an expression over the wide table `w`: the scheme's number,
    an amount read per appraisee, or NULL."""
    amounts = {name: f"w.a{n}" for n, name in enumerate(measured.wide.amounts) if name not in (BONUS_BASE, SALES)}
    found = {}
    for indicator in measured.scheme.indicators:
        fixed = indicator.target
        if isinstance(fixed, (int, float)):
            found[indicator.id] = _double(float(fixed))
        else:
            found[indicator.id] = amounts.get(indicator.id, "CAST(NULL AS DOUBLE)")
    return found


def _words(measured: Measured, scored: str, targets: dict[str, str]) -> None:
    """The table `__words`: every distinct (indicator, case, target) of the run with its rule."""
    connection = measured.engine.connection
    distinct = " UNION ALL ".join(
        f"SELECT DISTINCT {inline_literal(i.id)} AS indicator, s.{q(rule_column(i.id))} AS rule_case,"
        f" {targets[i.id]} AS target"
        f" FROM {scored} AS s JOIN {measured.wide.table} AS w ON w.__row = s.__row"
        for i in measured.scheme.indicators)
    found = connection.execute(distinct).fetchall()
    indicators = {i.id: i for i in measured.scheme.indicators}
    rules = [_rule(indicators[indicator], case, target) for indicator, case, target in found]
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE __words AS SELECT unnest($1::VARCHAR[]) AS indicator,"
        " unnest($2::VARCHAR[]) AS rule_case, unnest($3::DOUBLE[]) AS target, unnest($4::VARCHAR[]) AS rule",
        [[f[0] for f in found], [f[1] for f in found], [f[2] for f in found], rules]).fetchall()


def _rule(indicator: Indicator, case: str, target: float | None) -> str:
    return csv_text(rule_words(indicator, case, target)[0])


def _scores(measured: Measured, scored: str, targets: dict[str, str]) -> str:
    """A row per appraisee and indicator, in the roster's order and the scheme's."""
    wide = {column.indicator: (n, column.source) for n, column in enumerate(measured.wide.columns)}
    parts = []
    for m, indicator in enumerate(measured.scheme.indicators):
        i = indicator.id
        if i in wide:
            n, source = wide[i]
            rows = f"w.r{n}"
        else:
            rows = "CAST(0 AS BIGINT)"
            source = f"formula {indicator.formula.source}" if indicator.formula is not None else "no value"
        value = f"s.{q(value_column(i))}"
        parts.append(
            f"SELECT s.__row, {m} AS __n, s.appraisee, {text(i)} AS indicator, {number(value)} AS value,"
            f" {rows} AS rows, CASE WHEN {value} IS NULL THEN {text(INSUFFICIENT)} ELSE {text(OK)} END AS status,"
            f" {targets[i]} AS target, {number(f's.{q(score_column(i))}')} AS score,"
            f" {_double(indicator.weight)} AS weight, {number(f's.{q(effective_column(i))}')} AS effective_weight,"
            f" {number(f's.{q(contribution_column(i))}')} AS contribution, r.rule AS rule, {text(source)} AS source"
            f" FROM {scored} AS s JOIN {measured.wide.table} AS w ON w.__row = s.__row"
            f" LEFT JOIN __words AS r ON r.indicator = {inline_literal(i)} AND r.rule_case = s.{q(rule_column(i))}"
            f" AND r.target IS NOT DISTINCT FROM {targets[i]}")
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY __row, __n"


def _totals(measured: Measured, scored: str) -> str:
    """A row per appraisee: name, team, totals, grade, status (a failed one names what was
    missing) and the employment flags (`measurements.employment`)."""
    scheme = measured.scheme
    assert scheme.roster is not None
    fields, key = scheme.roster.fields, q(scheme.roster.key)
    name, team = (f"CAST({q(fields[f])} AS VARCHAR)" if f in fields else "CAST(NULL AS VARCHAR)"
                  for f in ("name", "team"))
    begin, stop = (f"CAST('{d.isoformat()}' AS DATE)" for d in (measured.period.start, measured.period.end))
    flags = ", ".join(f"CASE WHEN {test} THEN {text(flag)} END" for flag, test in employment(scheme, begin, stop))
    weighted = [i.id for i in scheme.indicators if i.weight > 0]
    missing = ", ".join(f"CASE WHEN s.{q(score_column(i))} IS NULL THEN {text(i)} END" for i in weighted) or "NULL"
    status = (f"CASE WHEN s.status = 'failed' THEN 'failed: no data for ' || concat_ws(', ', {missing})"
              " || ' (missing_data: fail)' ELSE s.status END")
    roster = (f"SELECT DISTINCT ON (id) CAST({key} AS VARCHAR) AS id, {name} AS name, {team} AS team,"
              f" concat_ws(';', {flags}) AS flags FROM {q(ROSTER)} WHERE {key} IS NOT NULL")
    return (f"SELECT s.appraisee, r.name, r.team, {number('s.weighted_total')} AS weighted_total,"
            f" {number('s.adjustment_points')} AS adjustments, {number('s.total')} AS total, s.grade,"
            f" {status} AS status, r.flags FROM {scored} AS s JOIN ({roster}) AS r ON r.id = s.appraisee"
            " ORDER BY s.__row")


def _double(x: float) -> str:
    """A double written into SQL exactly (its shortest text reads back as the same bits)."""
    return f"CAST('{float(x)!r}' AS DOUBLE)"
