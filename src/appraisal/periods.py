"""Appraisal periods: the calendar text an operator types, turned into half-open windows.

A run names its period as text (`2026-Q3`, `2026-W38`, `2026-07-01..2026-09-30`). Every period
is a half-open range of local calendar days, [start, end), so consecutive periods tile time
with no gap and no overlap, and "the last second of a quarter" needs no special case.

Days become instants only through the scheme's IANA time zone: a period starts at local
midnight there. Timestamps in the data are read as local wall-clock time in that zone unless
they carry an offset (see `sql_window`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appraisal.errors import AppraisalError

KINDS = ("week", "month", "quarter", "half", "year", "range")
CALENDAR_KINDS = KINDS[:-1]
FORMS = (
    "2026-09 (month), 2026-Q3 (quarter), 2026-H2 (half), 2026 (year), "
    "2026-W38 (ISO week), 2026-07-01..2026-09-30 (range, both days included)"
)

_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q(\d)", re.I)
_HALF = re.compile(r"(\d{4})-H(\d)", re.I)
_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.I)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})")


class PeriodError(AppraisalError):
    """Period text that names no period, or a time zone that does not exist."""


TimeZone = str | tzinfo


def zone(tz: TimeZone) -> tzinfo:
    """The scheme's time zone; a name is looked up in the IANA database."""
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PeriodError(f"unknown time zone {tz!r}; use an IANA name such as 'Europe/Berlin'") from None


def _local_midnight(day: date, tz: TimeZone) -> datetime:
    """The first instant of `day` in `tz`, as a real wall-clock time.

    Where midnight is skipped by a daylight-saving change, the day starts at the end of the
    gap (e.g. 01:00); the round trip through UTC makes the datetime show that real time.
    """
    here = zone(tz)
    return datetime.combine(day, time(), here).astimezone(UTC).astimezone(here)


@dataclass(frozen=True)
class Period:
    """A half-open range of local days, [start, end), with its canonical label."""

    label: str
    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def start_at(self, tz: TimeZone) -> datetime:
        return _local_midnight(self.start, tz)

    def end_at(self, tz: TimeZone) -> datetime:
        """The first instant after the period (exclusive), so windows never overlap."""
        return _local_midnight(self.end, tz)

    def bounds_utc(self, tz: TimeZone) -> tuple[datetime, datetime]:
        """[start, end) as naive UTC datetimes, for engines that store instants in UTC."""
        return (
            self.start_at(tz).astimezone(UTC).replace(tzinfo=None),
            self.end_at(tz).astimezone(UTC).replace(tzinfo=None),
        )

    def contains(self, moment: date | datetime, tz: TimeZone | None = None) -> bool:
        """Whether a date, a local wall-clock time, or an aware instant falls in the period.

        Boundaries are local midnights, so a naive time belongs where its local date does,
        even in the hour a daylight-saving change repeats or skips.
        """
        if isinstance(moment, datetime):
            if moment.tzinfo is not None:
                if tz is None:
                    raise PeriodError("a time with an offset needs the scheme's time zone")
                moment = moment.astimezone(zone(tz))
            moment = moment.date()
        return self.start <= moment < self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one; a range keeps its length."""
        try:
            before = self.start - timedelta(days=1)
            if self.kind == "range":
                return _range(before - timedelta(days=self.days - 1), before)
            return period_for(self.kind, before)
        except OverflowError:
            raise PeriodError(f"period {self.label!r} has no period before it on the calendar") from None

    def __str__(self) -> str:
        return self.label


def _fail(text: str, reason: str) -> PeriodError:
    return PeriodError(f"period {text!r}: {reason}; write one of {FORMS}")


def _safe(make: Callable[[], Period], text: str) -> Period:
    """Build a period, refusing one that reaches outside the days `date` can hold."""
    try:
        return make()
    except (OverflowError, ValueError):
        raise _fail(text, "periods must fall between 0001-01-01 and 9999-12-30") from None


def _month(year: int, month: int) -> Period:
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(f"{year:04d}-{month:02d}", "month", date(year, month, 1), end)


def _quarter(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(f"{year:04d}-Q{quarter}", "quarter", start, end)


def _half(year: int, half: int) -> Period:
    start = date(year, 6 * half - 5, 1)
    end = date(year + 1, 1, 1) if half == 2 else date(year, 7, 1)
    return Period(f"{year:04d}-H{half}", "half", start, end)


def _year(year: int) -> Period:
    return Period(f"{year:04d}", "year", date(year, 1, 1), date(year + 1, 1, 1))


def _week(year: int, week: int) -> Period:
    start = date.fromisocalendar(year, week, 1)
    return Period(f"{year:04d}-W{week:02d}", "week", start, start + timedelta(days=7))


def _range(first: date, last: date) -> Period:
    """A range from its first to its last day, both included, as operators write it."""
    return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, last + timedelta(days=1))


def period_for(kind: str, moment: date) -> Period:
    """The calendar period of `kind` that contains the day `moment`."""
    if isinstance(moment, datetime):
        moment = moment.date()
    if kind not in CALENDAR_KINDS:
        raise PeriodError(f"unknown period kind {kind!r}; use one of {', '.join(CALENDAR_KINDS)}")
    y, m = moment.year, moment.month
    builders = {
        "month": lambda: _month(y, m),
        "quarter": lambda: _quarter(y, (m + 2) // 3),
        "half": lambda: _half(y, 1 if m <= 6 else 2),
        "year": lambda: _year(y),
        "week": lambda: _week(*moment.isocalendar()[:2]),
    }
    return _safe(builders[kind], str(moment))


def _day(text: str, piece: str) -> date:
    try:
        return date.fromisoformat(piece)
    except ValueError:
        raise _fail(text, f"{piece} is not a date") from None


def parse_period(text: str, *, default_kind: str | None = None) -> Period:
    """Read period text; a single day is accepted when the scheme says which kind to use."""
    if not isinstance(text, str):
        raise _fail(str(text), "a period is written as text")
    raw = text.strip()
    if m := _RANGE.fullmatch(raw):
        first, last = _day(text, m[1]), _day(text, m[2])
        if last < first:
            raise _fail(text, f"the range ends on {last}, before it starts on {first}")
        return _safe(lambda: _range(first, last), text)
    if _DATE.fullmatch(raw):
        day = _day(text, raw)
        if default_kind is None:
            raise _fail(text, "a single day is not a period")
        return period_for(default_kind, day)
    if m := _YEAR.fullmatch(raw):
        year = int(m[1])
        return _safe(lambda: _year(year), text)
    if m := _MONTH.fullmatch(raw):
        if not 1 <= int(m[2]) <= 12:
            raise _fail(text, f"month {m[2]} does not exist (months are 01 to 12)")
        year, month = int(m[1]), int(m[2])
        return _safe(lambda: _month(year, month), text)
    if m := _QUARTER.fullmatch(raw):
        if not 1 <= int(m[2]) <= 4:
            raise _fail(text, f"quarter Q{m[2]} does not exist (quarters are Q1 to Q4)")
        year, quarter = int(m[1]), int(m[2])
        return _safe(lambda: _quarter(year, quarter), text)
    if m := _HALF.fullmatch(raw):
        if not 1 <= int(m[2]) <= 2:
            raise _fail(text, f"half H{m[2]} does not exist (halves are H1 and H2)")
        year, half = int(m[1]), int(m[2])
        return _safe(lambda: _half(year, half), text)
    if m := _WEEK.fullmatch(raw):
        year, week = int(m[1]), int(m[2])
        if not 1 <= week <= 53:
            raise _fail(text, f"week W{m[2]} does not exist (ISO weeks are W01 to W53)")
        if week == 53 and date(year, 12, 28).isocalendar()[1] != 53:
            raise _fail(text, f"ISO year {year:04d} has no week 53 (its last week is W52)")
        return _safe(lambda: _week(year, week), text)
    raise _fail(text, "this is not a period")


_COLUMN_TYPES = {
    "DATE": "date",
    "TIMESTAMP": "naive",
    "TIMESTAMPTZ": "aware",
    "TIMESTAMP WITH TIME ZONE": "aware",
}


def sql_window(
    period: Period, tz: TimeZone, column_sql: str, *, column_type: str = "TIMESTAMP"
) -> tuple[str, tuple[object, ...]]:
    """The half-open filter `column >= ? AND column < ?` and its bound bounds.

    `column_sql` is SQL the emitter already quoted, never scheme text. The bounds take the
    column's own type, so the engine never converts through its session time zone:
    DATE binds dates; TIMESTAMP (local wall-clock time in `tz`) binds naive local
    midnights; TIMESTAMPTZ (instants) binds aware midnights in `tz`.
    """
    flavour = _COLUMN_TYPES.get(column_type.upper())
    if flavour is None:
        raise PeriodError(f"cannot place rows in a period by a {column_type} column; use a date or timestamp")
    if flavour == "date":
        low, high = period.start, period.end
    elif flavour == "naive":
        low, high = datetime.combine(period.start, time()), datetime.combine(period.end, time())
    else:
        low, high = period.start_at(tz), period.end_at(tz)
    return f"{column_sql} >= ? AND {column_sql} < ?", (low, high)


WINDOWS = ("period", "previous", "year_to_date", "month", "quarter", "half", "year")


def window(period: Period, kind: str) -> Period:
    """The window an indicator is measured on, relative to the run's period.

    `period` is the run's own; `previous` the one before it; `year_to_date` from the start of
    its year to its end; `month`, `quarter`, `half`, `year` the period of that kind that holds
    its last day (a yearly indicator in a quarterly scheme).
    """
    if kind == "period":
        return period
    if kind == "previous":
        return period.previous()
    last = period.end - timedelta(days=1)
    if kind == "year_to_date":
        start = date(period.start.year, 1, 1)
        return Period(f"{start.isoformat()}..{last.isoformat()}", "range", start, period.end)
    if kind in CALENDAR_KINDS:
        return period_for(kind, last)
    raise PeriodError(f"unknown window {kind!r}; use one of {', '.join(WINDOWS)}")
