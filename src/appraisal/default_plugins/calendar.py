"""Business-hours clocks: response and resolution times counted in working time only.

`business_hours(start, end)` and `business_minutes(start, end)` count the working time between
two timestamps by the scheme's `calendar` (working hours, working days, holidays, extra working
days), which the engine loads as the table `__calendar` (one row per working day, with its
opening and closing time). The sum runs inside DuckDB, over the calendar days the interval
spans. They work on data rows (measures and filters) only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appraisal.errors import ExpressionError
from appraisal.expressions.functions import Function
from appraisal.expressions.kinds import Kind, takes
from appraisal.hookspecs import hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from appraisal.sql.dialect import Dialect


def _rows_only(*_: object) -> float:
    raise ExpressionError("business hours are counted on data rows only: use them in a measure or a filter")


def _working_time(unit_seconds: int) -> Callable[[list[str], Dialect], str]:
    def emit(args: list[str], dialect: Dialect) -> str:
        start, end = args
        # the working time of each day exactly (whole microseconds, or PostgreSQL's numeric
        # seconds), summed exactly, and only the total turned into a double
        worked = dialect.elapsed.replace("{a}", f"least({end}, c.closes_at)").replace(
            "{b}", f"greatest({start}, c.opens_at)")
        total = dialect.elapsed_seconds.replace("{x}", f"coalesce(sum(greatest(0, {worked})), 0)")
        return (
            f"(SELECT {total} / {unit_seconds} FROM __calendar AS c"
            f" WHERE c.day BETWEEN CAST({start} AS DATE) AND CAST({end} AS DATE))"
        )

    return emit


FUNCTIONS = [
    Function("business_hours", 2, 2, _rows_only, _working_time(3600),
             "Working hours between two timestamps by the scheme's calendar, "
             "e.g. business_hours(created_at, first_response_at).",
             kinds=takes(Kind.TIMESTAMP, Kind.TIMESTAMP, returns=Kind.NUMBER)),
    Function("business_minutes", 2, 2, _rows_only, _working_time(60),
             "Working minutes between two timestamps by the scheme's calendar.",
             kinds=takes(Kind.TIMESTAMP, Kind.TIMESTAMP, returns=Kind.NUMBER)),
]


@hookimpl
def register_functions(register: Callable[[Function], None]) -> None:
    for function in FUNCTIONS:
        register(function)
