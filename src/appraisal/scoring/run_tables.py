"""A run's scores.csv and totals.csv copied out of the engine (appraisal.results.copying) from the
scores computed there (appraisal.scoring.in_engine): the same bytes `storing.write_tables` writes
from the appraisal's Python objects, without one per cell.

A cell's rule is words (`scores.rule_words`) that depend only on its rule case and its target:
they are made in Python once per distinct (indicator, case, target) and joined in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal.measuring.measurements import employment
from appraisal.results.concluding import rules_of
from appraisal.results.copying import copy_csv, copy_parquet, number, text
from appraisal.results.inert import csv_text
from appraisal.results.stored import columns, sha256
from appraisal.results.storing import APPRAISEES_FILE, SCORE_COLUMNS, SCORES_FILE, TOTAL_COLUMNS, TOTALS_FILE
from appraisal.scheme.model import BONUS_BASE, INSUFFICIENT, OK, ROSTER, SALES, formula_order
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

SCORES, TOTALS = SCORE_COLUMNS, TOTAL_COLUMNS  # the headers storing.write_tables writes


def copy_run_tables(
    measured: Measured, scored: str, folder: Path, flags: Mapping[str, Sequence[str]] | None = None,
) -> list[Path]:
    """Write scores.csv, totals.csv and appraisees.parquet of the appraisal scored into the table
    `scored` into `folder`; `flags` are what every cell of an indicator carries besides its own
    (a scaled target, a data-quality warning)."""
    scores, totals = Path(folder) / SCORES_FILE, Path(folder) / TOTALS_FILE
    stored = Path(folder) / APPRAISEES_FILE
    targets = _targets(measured)
    words = _words(measured, scored, targets)
    copy_csv(measured.engine, _scores(measured, scored, targets, words), SCORES, ("appraisee",), scores,
             texts_from=f"SELECT appraisee FROM {scored}")
    copy_csv(measured.engine, _totals(measured, scored), TOTALS, ("appraisee", "name", "team", "flags"), totals)
    copy_parquet(measured.engine, _appraisees(measured, scored, targets, flags or {}, words), stored)
    return [scores, totals, stored]


def _targets(measured: Measured) -> dict[str, str]:
    """Each indicator's target as an expression over the wide table `w`: the scheme's number,
    an amount read per appraisee (`_read_per_appraisee`), or NULL."""
    amounts = _read_per_appraisee(measured)
    found = {}
    for indicator in measured.scheme.indicators:
        fixed = indicator.target
        if isinstance(fixed, (int, float)):
            found[indicator.id] = _double(float(fixed))
        else:
            found[indicator.id] = amounts.get(indicator.id, "CAST(NULL AS DOUBLE)")
    return found


def _read_per_appraisee(measured: Measured) -> dict[str, str]:
    """The indicators whose target is an amount read per appraisee, with its wide-table column."""
    return {name: f"w.a{n}" for n, name in enumerate(measured.wide.amounts) if name not in (BONUS_BASE, SALES)}


Words = dict[str, list[tuple[str, str, str, str | None]]]  # indicator -> (case, rule, text, parts) of each case


def _words(measured: Measured, scored: str, targets: dict[str, str]) -> Words:
    """The table `__words`: every distinct (indicator, case, target) of the run with its rule, as
    the CSV writes it (`rule`), as it reads (`text`) and as phrasebook parts (`parts`, JSON).
    Returned: the words of each indicator whose target is one number (or none) for everyone,
    which depend on the case alone (`_cases`)."""
    connection = measured.engine.connection
    distinct = " UNION ALL ".join(
        f"SELECT DISTINCT {inline_literal(i.id)} AS indicator, s.{q(rule_column(i.id))} AS rule_case,"
        f" {targets[i.id]} AS target"
        f" FROM {scored} AS s JOIN {measured.wide.table} AS w ON w.__row = s.__row"
        for i in measured.scheme.indicators)
    found = connection.execute(distinct).fetchall()
    indicators = {i.id: i for i in measured.scheme.indicators}
    words = [rule_words(indicators[indicator], case, target) for indicator, case, target in found]
    parts = [None if w[1] is None else json.dumps(w[1], allow_nan=False) for w in words]
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE __words AS SELECT *, {_key('target')} AS target_key FROM ("
        "SELECT unnest($1::VARCHAR[]) AS indicator, unnest($2::VARCHAR[]) AS rule_case, unnest($3::DOUBLE[]) AS target,"
        " unnest($4::VARCHAR[]) AS rule, unnest($5::VARCHAR[]) AS text, unnest($6::VARCHAR[]) AS parts)",
        [[f[0] for f in found], [f[1] for f in found], [f[2] for f in found], [csv_text(w[0]) for w in words],
         [w[0] for w in words], parts],
    ).fetchall()
    per_appraisee = _read_per_appraisee(measured)
    fixed: Words = {i: [] for i in indicators if i not in per_appraisee}  # one target: one set of words a case
    for (indicator, case, _), (sentence, _), part in zip(found, words, parts, strict=True):
        if indicator in fixed:
            fixed[indicator].append((case, csv_text(sentence), sentence, part))
    return fixed


def _cases(words: Words, indicator: str, case: str, field: str) -> str | None:
    """A fixed-target cell's rule `field` (`rule`, `text` or `parts`) as a CASE on its rule case
    (`case`, SQL): a handful of cases, no join. None for an indicator whose words need its
    target too (`__words` is joined then: `_words_join`)."""
    if indicator not in words:
        return None
    at = {"rule": 1, "text": 2, "parts": 3}[field]
    said = ((known[0], known[at]) for known in words[indicator] if known[0] is not None)  # no case: no words
    cases = " ".join(f"WHEN {inline_literal(c)} THEN {'NULL' if it is None else inline_literal(it)}" for c, it in said)
    return f"CASE {case} {cases} END" if cases else "CAST(NULL AS VARCHAR)"


def _words_join(alias: str, indicator: str, target: str) -> str:
    """`__words` joined as `alias` to the scored row `s` on the indicator's rule case and target:
    by equal keys, so the engine hashes it (`IS NOT DISTINCT FROM` would compare every pair)."""
    return (f" LEFT JOIN __words AS {alias} ON {alias}.indicator = {inline_literal(indicator)}"
            f" AND {alias}.rule_case = s.{q(rule_column(indicator))} AND {alias}.target_key = {_key(target)}")


def _key(target: str) -> str:
    """A target as a join key: its text, or '' for none."""
    return f"coalesce(CAST({target} AS VARCHAR), '')"


def _scores(measured: Measured, scored: str, targets: dict[str, str], words: Words) -> str:
    """A row per appraisee and indicator, in the roster's order and the scheme's.

    The rule words are put in after the sort, by a CASE on the cell's rule case where the
    target is fixed: sorting 500,000 rows with their sentences (100,000 appraisees) cost more
    than the sort itself; a projection keeps the sorted order."""
    wide = {column.indicator: (n, column.source) for n, column in enumerate(measured.wide.columns)}
    parts, later = [], []
    for m, indicator in enumerate(measured.scheme.indicators):
        i = indicator.id
        if i in wide:
            n, source = wide[i]
            rows = f"w.r{n}"
        else:
            rows = "CAST(0 AS BIGINT)"
            source = f"formula {indicator.formula.source}" if indicator.formula is not None else "no value"
        value = f"s.{q(value_column(i))}"
        fixed = _cases(words, i, "__case", "rule")
        rule, join = ("CAST(NULL AS VARCHAR)", "") if fixed is not None else ("r.rule", _words_join("r", i, targets[i]))
        if fixed is not None:
            later.append(f"WHEN __n = {m} THEN {fixed}")
        parts.append(
            f"SELECT s.__row, {m} AS __n, s.appraisee, {text(i)} AS indicator, {number(value)} AS value,"
            f" {rows} AS rows, CASE WHEN {value} IS NULL THEN {text(INSUFFICIENT)} ELSE {text(OK)} END AS status,"
            f" {targets[i]} AS target, {number(f's.{q(score_column(i))}')} AS score,"
            f" {_double(indicator.weight)} AS weight, {number(f's.{q(effective_column(i))}')} AS effective_weight,"
            f" {number(f's.{q(contribution_column(i))}')} AS contribution, {rule} AS __rule,"
            f" s.{q(rule_column(i))} AS __case, {text(source)} AS source"
            f" FROM {scored} AS s JOIN {measured.wide.table} AS w ON w.__row = s.__row{join}")
    rule = f"CASE {' '.join(later)} ELSE __rule END" if later else "__rule"
    named = ", ".join(rule + " AS rule" if name == "rule" else name for name in SCORES)
    return f"SELECT {named} FROM (SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY __row, __n)"


def _totals(measured: Measured, scored: str) -> str:
    """A row per appraisee: name, team, totals, grade, status (a failed one names what was
    missing) and the employment flags (`measurements.employment`, words no spreadsheet runs)."""
    scheme = measured.scheme
    weighted = [i.id for i in scheme.indicators if i.weight > 0]
    missing = ", ".join(f"CASE WHEN s.{q(score_column(i))} IS NULL THEN {text(i)} END" for i in weighted) or "NULL"
    status = (f"CASE WHEN s.status = 'failed' THEN 'failed: no data for ' || concat_ws(', ', {missing})"
              " || ' (missing_data: fail)' ELSE s.status END")
    return (f"SELECT s.appraisee, r.name, r.team, {number('s.weighted_total')} AS weighted_total,"
            f" {number('s.adjustment_points')} AS adjustments, {number('s.total')} AS total, s.grade,"
            f" {status} AS status, array_to_string(r.flags, ';') AS flags"
            f" FROM {scored} AS s JOIN ({_roster(measured)}) AS r ON r.id = s.appraisee ORDER BY s.__row")


def _double(x: float) -> str:
    """A double written into SQL exactly (its shortest text reads back as the same bits)."""
    return f"CAST('{float(x)!r}' AS DOUBLE)"


def _appraisees(
    measured: Measured, scored: str, targets: dict[str, str], flags: Mapping[str, Sequence[str]], words: Words,
) -> str:
    """A row per appraisee, in the roster's order: who they are, each indicator's cell (by its
    place in the scheme: `value_0`, `score_0`, ...) and the totals, of the columns and types
    `results.stored.columns` gives (its reader)."""
    scheme = measured.scheme
    wide = {column.indicator: n for n, column in enumerate(measured.wide.columns)}
    found = {name: f"r.{name}" for name in ("name", "team", "manager", "role", "flags")}
    found["appraisee"] = "s.appraisee"
    joins, cases, later = [], [], {}
    for m, indicator in enumerate(scheme.indicators):
        i = indicator.id
        extra = "[" + ", ".join(inline_literal(f) for f in flags.get(i, ())) + "]::VARCHAR[]"
        if i in wide:
            n = wide[i]
            rows, cell_flags = f"w.r{n}", f"list_concat(coalesce(CAST(w.f{n} AS VARCHAR[]), []::VARCHAR[]), {extra})"
        else:
            rows, cell_flags = "0", "[]::VARCHAR[]"
        found.update({f"value_{m}": f"s.{q(value_column(i))}", f"rows_{m}": rows, f"flags_{m}": cell_flags,
                      f"target_{m}": targets[i], f"score_{m}": f"s.{q(score_column(i))}",
                      f"effective_{m}": f"s.{q(effective_column(i))}",
                      f"contribution_{m}": f"s.{q(contribution_column(i))}"})
        if i in words:  # the words put in after the sort (see `_scores`)
            cases.append(f"s.{q(rule_column(i))} AS __case_{m}")
            later.update({f"rule_{m}": _cases(words, i, f"__case_{m}", "text"),
                          f"parts_{m}": _cases(words, i, f"__case_{m}", "parts")})
        else:
            found.update({f"rule_{m}": f"k{m}.text", f"parts_{m}": f"k{m}.parts"})
            joins.append(_words_join(f"k{m}", i, targets[i]))
    layout = columns(len(scheme.indicators), rules_of(scheme))
    selects = ", ".join([*(f"CAST({found.get(name, f's.{name}')} AS {kind}) AS {name}"
                           for name, kind in layout.items() if name not in later), *cases])
    ordered = (f"SELECT {selects} FROM {scored} AS s JOIN {measured.wide.table} AS w ON w.__row = s.__row"
               f" JOIN ({_roster(measured)}) AS r ON r.id = s.appraisee{''.join(joins)} ORDER BY s.__row")
    named = ", ".join(f"CAST({later[name]} AS {kind}) AS {name}" if name in later else name
                      for name, kind in layout.items())
    return f"SELECT {named} FROM ({ordered})"


def _roster(measured: Measured) -> str:
    """The roster's details per appraisee, with the employment flags that hold as a list."""
    scheme = measured.scheme
    assert scheme.roster is not None
    fields, key = scheme.roster.fields, q(scheme.roster.key)
    details = ", ".join(f"CAST({q(fields[f])} AS VARCHAR) AS {f}" if f in fields else f"CAST(NULL AS VARCHAR) AS {f}"
                        for f in ("name", "team", "manager", "role"))
    begin, stop = (f"CAST('{d.isoformat()}' AS DATE)" for d in (measured.period.start, measured.period.end))
    held = "[]::VARCHAR[]"  # nested pairs: list_concat of more than two lists is not in every DuckDB
    for flag, test in employment(scheme, begin, stop):
        held = f"list_concat({held}, CASE WHEN {test} THEN [{inline_literal(flag)}] ELSE []::VARCHAR[] END)"
    return (f"SELECT DISTINCT ON (id) CAST({key} AS VARCHAR) AS id, {details},"
            f" {held} AS flags FROM {q(ROSTER)} WHERE {key} IS NOT NULL")


def stored_layout(measured: Measured, scored: str, path: Path) -> dict[str, Any]:
    """What result.json says of the appraisees.parquet at `path` (`results.stored` reads it)."""
    scheme = measured.scheme
    [(count,)] = measured.engine.connection.execute(f"SELECT count(*) FROM {scored}").fetchall()
    wide = {column.indicator: column.source for column in measured.wide.columns}
    indicators = []
    for indicator in scheme.indicators:
        formula = indicator.formula
        source = wide.get(indicator.id) or (f"formula {formula.source}" if formula is not None else "no value")
        indicators.append({"id": indicator.id, "source": source, "measured": indicator.id in wide,
                           "inherits": sorted(formula.names) if formula is not None else []})
    return {"count": int(count), "sha256": sha256(path), "rules": rules_of(scheme).as_dict(),
            "indicators": indicators, "formulas": [i.id for i in formula_order(scheme)]}
