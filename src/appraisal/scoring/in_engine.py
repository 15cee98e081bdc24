"""Scoring in the engine: the measured wide table (appraisal.measuring.tables) scored by one
compiled statement (appraisal.sql.scoring), a row per appraisee, no Python object per cell.

The step toward a `run` as fast as its query (issue #13): values, targets and amounts never leave
DuckDB, and the scores, weights, totals, grades and pay land in a temporary table beside them,
from which a run's files can be copied out. `appraisal.scoring.grading` stays the reference;
tests hold the two equal on every shipped scheme's demo data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appraisal.scheme.model import BONUS_BASE, SALES
from appraisal.sql.dialect import quote_identifier as q
from appraisal.sql.scoring import compile_scoring, target_column, value_column

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.measuring.measurements import Measured

INPUTS, SCORED = "__scoring_inputs", "__scored"


def score_in_engine(measured: Measured, functions: FunctionRegistry) -> str:
    """Score every appraisee `measured` holds into a temporary table (its name is returned) with
    `__row` (the roster's order) and the columns of `sql.scoring.scoring_columns`."""
    wide = measured.wide
    columns = ["__row", "appraisee"]
    columns += [f"v{n} AS {q(value_column(column.indicator))}" for n, column in enumerate(wide.columns)]
    columns += [f"a{n} AS {q(name if name in (BONUS_BASE, SALES) else target_column(name))}"
                for n, name in enumerate(wide.amounts)]
    connection = measured.engine.connection
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {INPUTS} AS SELECT {', '.join(columns)} FROM {wide.table}"
                       ).fetchall()
    query = compile_scoring(measured.scheme, functions, INPUTS, keep=["__row"])
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {SCORED} AS {query.sql}", list(query.params)).fetchall()
    return SCORED
