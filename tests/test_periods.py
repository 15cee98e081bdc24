"""Periods: the accepted forms, the refusals, half-open edges, time zones, and DuckDB windows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from appraisal.errors import AppraisalError
from appraisal.periods import (
    CALENDAR_KINDS,
    FORMS,
    Period,
    PeriodError,
    parse_period,
    period_for,
    sql_window,
)

DOC = (Path(__file__).resolve().parent.parent / "docs" / "periods.md").read_text(encoding="utf-8")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def doc_table(heading: str) -> list[list[str]]:
    """The body rows of the first table under `heading`, cells stripped of backticks."""
    section = DOC.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows[2:]]


def refusal(text: str, reason: str) -> str:
    return re.escape(f"period {text!r}: {reason}; write one of {FORMS}")


# --- the accepted forms -------------------------------------------------------------------


def test_month():
    assert parse_period("2026-09") == Period("2026-09", "month", date(2026, 9, 1), date(2026, 10, 1))


def test_december_ends_on_new_year():
    assert parse_period("2026-12").end == date(2027, 1, 1)


def test_quarter():
    assert parse_period("2026-Q3") == Period("2026-Q3", "quarter", date(2026, 7, 1), date(2026, 10, 1))


def test_half():
    assert parse_period("2026-H2") == Period("2026-H2", "half", date(2026, 7, 1), date(2027, 1, 1))


def test_first_half():
    assert parse_period("2026-H1") == Period("2026-H1", "half", date(2026, 1, 1), date(2026, 7, 1))


def test_year():
    assert parse_period("2026") == Period("2026", "year", date(2026, 1, 1), date(2027, 1, 1))


def test_iso_week():
    assert parse_period("2026-W38") == Period("2026-W38", "week", date(2026, 9, 14), date(2026, 9, 21))


def test_range_includes_both_days_in_the_text():
    period = parse_period("2026-07-01..2026-09-30")
    assert period == Period("2026-07-01..2026-09-30", "range", date(2026, 7, 1), date(2026, 10, 1))


def test_one_day_range():
    assert parse_period("2026-07-01..2026-07-01").days == 1


def test_range_may_have_spaces_around_the_dots():
    assert parse_period("2026-07-01 .. 2026-09-30").label == "2026-07-01..2026-09-30"


@pytest.mark.parametrize("text", ["2026-q3", "2026-h2", "2026-w38"])
def test_letters_are_case_insensitive_and_the_label_is_upper_case(text):
    assert parse_period(text).label == text.upper()


def test_surrounding_whitespace_is_ignored():
    assert parse_period("  2026-Q3\n").label == "2026-Q3"


def test_a_single_day_with_a_default_kind_is_the_period_containing_it():
    assert parse_period("2026-09-15", default_kind="quarter").label == "2026-Q3"


def test_days_counts_calendar_days():
    assert (parse_period("2026-Q3").days, parse_period("2026-W38").days) == (92, 7)


def test_label_is_the_string_form():
    assert str(parse_period("2026-q3")) == "2026-Q3"


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-13", "month 13 does not exist (months are 01 to 12)"),
        ("2026-00", "month 00 does not exist (months are 01 to 12)"),
        ("2026-Q5", "quarter Q5 does not exist (quarters are Q1 to Q4)"),
        ("2026-H3", "half H3 does not exist (halves are H1 and H2)"),
        ("2026-W54", "week W54 does not exist (ISO weeks are W01 to W53)"),
        ("2026-W00", "week W00 does not exist (ISO weeks are W01 to W53)"),
        ("2021-W53", "ISO year 2021 has no week 53 (its last week is W52)"),
        ("2026-09-30..2026-07-01", "the range ends on 2026-07-01, before it starts on 2026-09-30"),
        ("2026-02-30", "2026-02-30 is not a date"),
        ("2026-02-30..2026-03-31", "2026-02-30 is not a date"),
        ("2026-09-15", "a single day is not a period"),
        ("Q3 2026", "this is not a period"),
        ("", "this is not a period"),
        ("26-Q3", "this is not a period"),
        ("9999", "periods must fall between 0001-01-01 and 9999-12-30"),
    ],
)
def test_refusal_names_the_text_the_reason_and_the_accepted_forms(text, reason):
    with pytest.raises(PeriodError, match=f"^{refusal(text, reason)}$"):
        parse_period(text)


def test_period_error_is_a_user_error():
    assert issubclass(PeriodError, AppraisalError)


def test_unknown_default_kind_is_refused():
    with pytest.raises(PeriodError, match=r"^unknown period kind 'fortnight'; use one of week, month"):
        parse_period("2026-09-15", default_kind="fortnight")


def test_no_period_before_the_first_year():
    with pytest.raises(PeriodError, match=r"^period '0001' has no period before it on the calendar$"):
        parse_period("0001").previous()


def test_unknown_time_zone_is_refused():
    with pytest.raises(PeriodError, match=r"^unknown time zone 'Mars/Olympus'; use an IANA name"):
        parse_period("2026-Q3").start_at("Mars/Olympus")


# --- half-open edges ----------------------------------------------------------------------


def test_last_second_of_a_quarter_is_inside_it():
    assert parse_period("2026-Q3").contains(datetime(2026, 9, 30, 23, 59, 59))


def test_first_second_of_the_next_quarter_is_outside_it():
    assert not parse_period("2026-Q3").contains(datetime(2026, 10, 1))


def test_first_second_of_the_next_quarter_is_in_the_next_quarter():
    assert parse_period("2026-Q4").contains(datetime(2026, 10, 1))


def test_first_moment_of_a_quarter_is_inside_it():
    assert parse_period("2026-Q3").contains(datetime(2026, 7, 1))


def test_an_aware_moment_is_placed_in_the_scheme_time_zone():
    moment = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 2026-10-01 01:00 in Shanghai
    assert parse_period("2026-Q4").contains(moment, "Asia/Shanghai")
    assert parse_period("2026-Q3").contains(moment, "UTC")


def test_an_aware_moment_without_a_time_zone_is_refused():
    with pytest.raises(PeriodError, match="needs the scheme's time zone"):
        parse_period("2026-Q3").contains(datetime(2026, 9, 1, tzinfo=UTC))


# --- leap years ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2028-02", "2028-Q1", "2028-H1", "2028-W09", "2028"])
def test_leap_day_is_in_its_periods(text):
    assert parse_period(text).contains(date(2028, 2, 29))


def test_february_of_a_leap_year_has_29_days():
    assert parse_period("2028-02").days == 29


def test_2100_is_not_a_leap_year():
    assert parse_period("2100-02").days == 28


def test_2000_is_a_leap_year():
    assert parse_period("2000-02").days == 29


def test_leap_day_exists_only_in_leap_years():
    assert parse_period("2028-02-29..2028-02-29").days == 1
    with pytest.raises(PeriodError, match="2100-02-29 is not a date"):
        parse_period("2100-02-29..2100-03-01")


# --- ISO weeks ----------------------------------------------------------------------------


def test_week_one_can_start_in_the_previous_calendar_year():
    assert parse_period("2026-W01").start == date(2025, 12, 29)


def test_week_53_exists_in_2020():
    assert parse_period("2020-W53") == Period("2020-W53", "week", date(2020, 12, 28), date(2021, 1, 4))


def test_week_53_does_not_exist_in_2021():
    with pytest.raises(PeriodError, match="ISO year 2021 has no week 53"):
        parse_period("2021-W53")


def test_new_year_day_can_belong_to_the_last_week_of_the_previous_iso_year():
    assert period_for("week", date(2021, 1, 1)).label == "2020-W53"


def test_weeks_start_on_monday():
    assert parse_period("2026-W38").start.isoweekday() == 1


# --- previous() ---------------------------------------------------------------------------


def test_previous_periods_match_the_doc_table():
    rows = doc_table("The previous period")
    assert rows, "the doc lost its table"
    assert [[p, parse_period(p).previous().label] for p, _ in rows] == rows


def test_previous_quarter_across_a_year_boundary():
    assert parse_period("2026-Q1").previous() == parse_period("2025-Q4")


def test_previous_half_across_a_year_boundary():
    assert parse_period("2026-H1").previous().label == "2025-H2"


def test_previous_week_into_a_year_with_week_53():
    assert parse_period("2021-W01").previous().label == "2020-W53"


def test_previous_range_has_the_same_length_and_ends_where_this_one_starts():
    period = parse_period("2026-07-01..2026-09-30")
    before = period.previous()
    assert (before.kind, before.days, before.end) == ("range", period.days, period.start)


# --- time zones ---------------------------------------------------------------------------


def test_a_quarter_in_shanghai_starts_at_16_utc_the_day_before():
    assert parse_period("2026-Q3").start_at("Asia/Shanghai").astimezone(UTC) == datetime(
        2026, 6, 30, 16, tzinfo=UTC
    )


def test_bounds_utc_are_naive_utc_instants():
    assert parse_period("2026-Q3").bounds_utc("Asia/Shanghai") == (
        datetime(2026, 6, 30, 16),
        datetime(2026, 9, 30, 16),
    )


def test_start_at_is_local_midnight_in_the_zone():
    start = parse_period("2026-Q3").start_at(BERLIN)
    assert (start.hour, start.utcoffset()) == (0, timedelta(hours=2))


def test_a_zone_that_skips_midnight_starts_the_day_when_the_gap_ends():
    # Chile moves clocks from 00:00 to 01:00 on 2026-09-06.
    start = parse_period("2026-09-06..2026-09-06").start_at("America/Santiago")
    assert (start.hour, start.astimezone(UTC)) == (1, datetime(2026, 9, 6, 4, tzinfo=UTC))


def test_a_month_with_a_dst_change_is_an_hour_short_in_real_time():
    start, end = parse_period("2026-03").bounds_utc(BERLIN)
    assert end - start == timedelta(days=31, hours=-1)


def test_time_zone_table_in_the_doc():
    rows = doc_table("Time zones")
    assert rows, "the doc lost its table"
    for text, tz, starts, ends in rows:
        low, high = parse_period(text).bounds_utc(tz)
        assert (f"{low:%Y-%m-%d %H:%M}", f"{high:%Y-%m-%d %H:%M}") == (starts, ends), text


# --- the forms table in the doc -----------------------------------------------------------


def test_forms_table_in_the_doc():
    rows = doc_table("The forms")
    assert len(rows) >= 6, "the doc lost its table"
    for text, kind, start, end in rows:
        period = parse_period(text)
        assert (period.kind, period.start.isoformat(), period.end.isoformat()) == (kind, start, end), text


def test_refusals_named_in_the_doc_are_refused():
    for text in ["2026-13", "2026-Q5", "2026-H3", "2026-W54", "2021-W53", "2026-02-30"]:
        assert f"`{text}`" in DOC
        with pytest.raises(PeriodError):
            parse_period(text)


# --- DuckDB windows -----------------------------------------------------------------------


@pytest.fixture
def con():
    """A connection whose session time zone is far from every scheme's, so any silent
    conversion through it would show up as a wrong count."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'Pacific/Kiritimati'")
    yield connection
    connection.close()


def ids_in(con, table: str, text: str, tz, column_type: str) -> list[int]:
    where, params = sql_window(parse_period(text), tz, '"at"', column_type=column_type)
    rows = con.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY id", params).fetchall()
    return [row[0] for row in rows]


def local_rows(con, *stamps: str) -> None:
    con.execute('CREATE TABLE local_rows (id INTEGER, "at" TIMESTAMP)')
    con.executemany("INSERT INTO local_rows VALUES (?, CAST(? AS TIMESTAMP))", list(enumerate(stamps, 1)))


def instant_rows(con, *stamps: str) -> None:
    con.execute('CREATE TABLE instant_rows (id INTEGER, "at" TIMESTAMPTZ)')
    con.executemany("INSERT INTO instant_rows VALUES (?, CAST(? AS TIMESTAMPTZ))", list(enumerate(stamps, 1)))


def test_sql_window_is_a_half_open_filter_with_bound_parameters():
    sql, params = sql_window(parse_period("2026-Q3"), BERLIN, '"created_at"')
    assert sql == '"created_at" >= ? AND "created_at" < ?'
    assert params == (datetime(2026, 7, 1), datetime(2026, 10, 1))


def test_sql_window_binds_aware_midnights_for_timestamptz():
    _, params = sql_window(parse_period("2026-Q3"), "Asia/Shanghai", '"at"', column_type="TIMESTAMPTZ")
    assert [p.astimezone(UTC) for p in params] == [
        datetime(2026, 6, 30, 16, tzinfo=UTC),
        datetime(2026, 9, 30, 16, tzinfo=UTC),
    ]


def test_sql_window_binds_dates_for_date_columns():
    _, params = sql_window(parse_period("2026-Q3"), BERLIN, '"day"', column_type="date")
    assert params == (date(2026, 7, 1), date(2026, 10, 1))


def test_sql_window_refuses_a_column_type_that_is_not_a_time():
    with pytest.raises(PeriodError, match="cannot place rows in a period by a VARCHAR column"):
        sql_window(parse_period("2026-Q3"), BERLIN, '"at"', column_type="VARCHAR")


def test_duckdb_last_second_of_a_quarter_is_in_q3_and_midnight_in_q4(con):
    local_rows(con, "2026-09-30 23:59:59", "2026-10-01 00:00:00", "2026-06-30 23:59:59")
    assert ids_in(con, "local_rows", "2026-Q3", BERLIN, "TIMESTAMP") == [1]
    assert ids_in(con, "local_rows", "2026-Q4", BERLIN, "TIMESTAMP") == [2]


def test_duckdb_fractional_second_before_midnight_is_still_in_the_quarter(con):
    local_rows(con, "2026-09-30 23:59:59.999999")
    assert ids_in(con, "local_rows", "2026-Q3", BERLIN, "TIMESTAMP") == [1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2028-02", [1, 2]),
        ("2028-Q1", [1, 2, 3]),
        ("2028-H1", [1, 2, 3]),
        ("2028-W09", [1, 2, 3]),
        ("2028-03", [3]),
    ],
)
def test_duckdb_leap_day_is_in_its_periods(con, text, expected):
    local_rows(con, "2028-02-29 00:00:00", "2028-02-29 23:59:59", "2028-03-01 00:00:00")
    assert ids_in(con, "local_rows", text, BERLIN, "TIMESTAMP") == expected


def test_duckdb_date_column_on_a_leap_day(con):
    con.execute('CREATE TABLE day_rows AS SELECT 1 AS id, DATE \'2028-02-29\' AS "at"')
    assert ids_in(con, "day_rows", "2028-02", BERLIN, "DATE") == [1]
    assert ids_in(con, "day_rows", "2028-03", BERLIN, "DATE") == []


def test_duckdb_local_time_that_dst_skips_stays_in_its_day(con):
    # 2026-03-29 02:30 never happens on a Berlin clock; a naive stamp still belongs to that day.
    local_rows(con, "2026-03-29 02:30:00")
    assert ids_in(con, "local_rows", "2026-03", BERLIN, "TIMESTAMP") == [1]
    assert ids_in(con, "local_rows", "2026-W13", BERLIN, "TIMESTAMP") == [1]


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK])
def test_duckdb_both_occurrences_of_a_repeated_hour_are_in_the_period(con, tz):
    day = "2026-10-25" if tz is BERLIN else "2026-11-01"
    summer, winter = ("+02", "+01") if tz is BERLIN else ("-04", "-05")
    hour = "02:30:00" if tz is BERLIN else "01:30:00"
    instant_rows(con, f"{day} {hour}{summer}", f"{day} {hour}{winter}")
    text = f"{day}..{day}"
    assert ids_in(con, "instant_rows", text, tz, "TIMESTAMPTZ") == [1, 2]


def test_duckdb_instants_are_placed_by_the_scheme_time_zone_not_the_session(con):
    # 2026-06-30 17:00Z is 2026-07-01 01:00 in Shanghai: Q3 there, Q2 in New York.
    instant_rows(con, "2026-06-30 17:00:00+00")
    assert ids_in(con, "instant_rows", "2026-Q3", "Asia/Shanghai", "TIMESTAMPTZ") == [1]
    assert ids_in(con, "instant_rows", "2026-Q2", NEW_YORK, "TIMESTAMPTZ") == [1]


def test_duckdb_instant_edges_of_a_quarter_in_new_york(con):
    instant_rows(con, "2026-10-01 03:59:59-00", "2026-10-01 04:00:00-00")
    assert ids_in(con, "instant_rows", "2026-Q3", NEW_YORK, "TIMESTAMPTZ") == [1]
    assert ids_in(con, "instant_rows", "2026-Q4", NEW_YORK, "TIMESTAMPTZ") == [2]


def test_duckdb_dst_spring_forward_at_the_start_of_a_new_york_week(con):
    # New York skips 02:00-03:00 on Sunday 2026-03-08; the week W10 runs Mon 03-02 .. Sun 03-08.
    instant_rows(con, "2026-03-08 01:59:59-05", "2026-03-08 03:00:00-04", "2026-03-09 04:00:00+00")
    assert ids_in(con, "instant_rows", "2026-W10", NEW_YORK, "TIMESTAMPTZ") == [1, 2]
    assert ids_in(con, "instant_rows", "2026-W11", NEW_YORK, "TIMESTAMPTZ") == [3]


def test_duckdb_duration_across_dst_is_real_elapsed_hours_for_timestamptz(con):
    con.execute("CREATE TABLE t (created TIMESTAMPTZ, resolved TIMESTAMPTZ)")
    con.execute("INSERT INTO t VALUES ('2026-10-25 00:30:00+02', '2026-10-25 03:30:00+01')")
    [(hours,)] = con.execute("SELECT (epoch(resolved) - epoch(created)) / 3600 FROM t").fetchall()
    assert hours == 4


def test_duckdb_duration_across_dst_is_wall_clock_hours_for_naive_timestamps(con):
    con.execute("CREATE TABLE t (created TIMESTAMP, resolved TIMESTAMP)")
    con.execute("INSERT INTO t VALUES ('2026-10-25 00:30:00', '2026-10-25 03:30:00')")
    [(hours,)] = con.execute("SELECT (epoch(resolved) - epoch(created)) / 3600 FROM t").fetchall()
    assert hours == 3


# --- properties ---------------------------------------------------------------------------

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
KINDS = st.sampled_from(CALENDAR_KINDS)


@st.composite
def periods(draw) -> Period:
    if draw(st.booleans()):
        return period_for(draw(KINDS), draw(DAYS))
    first = draw(DAYS)
    return parse_period(f"{first}..{first + timedelta(days=draw(st.integers(0, 800)))}")


@given(KINDS, DAYS)
def test_property_the_period_for_a_day_contains_it(kind, day):
    assert period_for(kind, day).contains(day)


@given(KINDS, DAYS)
def test_property_the_period_for_a_day_has_that_kind_and_a_plausible_length(kind, day):
    period = period_for(kind, day)
    lengths = {"week": (7, 7), "month": (28, 31), "quarter": (90, 92), "half": (181, 184), "year": (365, 366)}
    low, high = lengths[kind]
    assert period.kind == kind and low <= period.days <= high


@given(periods())
def test_property_consecutive_periods_tile_time(period):
    before = period.previous()
    assert (before.end, before.kind) == (period.start, period.kind)


@given(periods())
def test_property_the_label_parses_back_to_the_same_period(period):
    assert parse_period(period.label) == period


@given(periods(), st.sampled_from(["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"]))
def test_property_local_bounds_and_utc_bounds_agree(period, tz):
    low, high = period.bounds_utc(tz)
    assert (low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)) == (period.start_at(tz), period.end_at(tz))
