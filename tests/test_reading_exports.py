"""Real exports load as they come: renamed columns, declared date formats, a timestamp built
from a date column and a time column, and the flag spellings of the scheme reference."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.engines.duckdb_engine import QualityCount, open_engine
from appraisal.errors import DataError, SchemeError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions


def bare(quality: list) -> list:
    """The counts without the rows they were looked for among and their example values (the
    data-quality tests check those): what the reader counted, where."""
    from dataclasses import replace

    return [replace(q, rows=None, examples=()) for q in quality]

def scheme_over(folder: Path, csv_text: str, dataset: str, *, indicator: str = "{dataset: tickets, agg: count}",
                source: str = "source: csv\n    path: tickets.csv") -> Path:
    """A one-dataset scheme over `csv_text`; `dataset` holds the dataset's other keys (YAML, 4 spaces in)."""
    (folder / "tickets.csv").write_text(textwrap.dedent(csv_text), encoding="utf-8")
    (folder / "roster.csv").write_text("agent\nA01\nA02\n", encoding="utf-8")
    body = textwrap.indent(textwrap.dedent(dataset).strip(), "    ")
    text = (
        "scheme: exports\nversion: 1\ntitle: Exports\nperiod: month\ntimezone: Asia/Shanghai\n"
        "roster: {source: csv, path: roster.csv, key: agent}\n"
        f"datasets:\n  tickets:\n    {source}\n{body}\n"
        f"indicators:\n  - id: n\n    title: N\n    measure: {indicator}\n    target: 1\n"
        "    score: {curve: linear, worst: 0, best: 2}\n    weight: 100\n"
        "grades: {A: 90, B: 0}\n"
    )
    path = folder / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def rows(engine, sql: str) -> list:  # type: ignore[no-untyped-def]
    return engine.connection.execute(sql).fetchall()


def problems(path: Path) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        load_scheme(path)
    return [p.message for p in caught.value.problems]


# --- rename -------------------------------------------------------------------------------------

RENAMED = """\
    Ticket ID,Agent,Created At,First Response (h),Reopened?,2nd agent,满意度
    T1,A01,2026-07-01 09:00,1.5,Y,A02,5
    T2,A02,2026-07-02 10:00,3,N,,2
"""
RENAMING = """\
    rename: {"Ticket ID": ticket_id, "Agent": agent, "Created At": created_at, "First Response (h)": first_response_h,
             "Reopened?": reopened, "2nd agent": second_agent, "满意度": csat}
    key: ticket_id
    appraisee: agent
    period_by: created_at
    columns: {ticket_id: text, agent: text, created_at: timestamp, first_response_h: number, reopened: flag,
              second_agent: text, csat: integer}
"""


def test_renamed_columns_are_typed_under_their_new_names(tmp_path: Path) -> None:
    with open_engine(load_scheme(scheme_over(tmp_path, RENAMED, RENAMING)), extensions().sources) as engine:
        query = "SELECT ticket_id, first_response_h, reopened, second_agent, csat FROM tickets ORDER BY 1"
        assert rows(engine, query) == [("T1", 1.5, True, "A02", 5), ("T2", 3.0, False, None, 2)]


def test_expressions_use_the_new_names(tmp_path: Path) -> None:
    from appraisal.periods import parse_period
    from appraisal.pipeline import measure

    indicator = '{dataset: tickets, agg: count, where: "csat >= 4 and reopened and first_response_h < 2"}'
    scheme = load_scheme(scheme_over(tmp_path, RENAMED, RENAMING, indicator=indicator))
    result = measure(scheme, parse_period("2026-07"))
    assert [result.cell(a, "n").value for a in ("A01", "A02")] == [1, None]  # A02's one row does not count


def test_a_chinese_column_name_is_usable_in_expressions_without_renaming(tmp_path: Path) -> None:
    from appraisal.periods import parse_period
    from appraisal.pipeline import measure

    dataset = "appraisee: 坐席\nperiod_by: 创建时间\ncolumns: {坐席: text, 创建时间: timestamp, 满意度: integer}"
    csv_text = "坐席,创建时间,满意度\nA01,2026-07-01 09:00,5\nA01,2026-07-02 09:00,3\nA02,2026-07-03 09:00,4\n"
    indicator = '{dataset: tickets, agg: ratio, numerator: {where: "满意度 >= 4"}}'
    scheme = load_scheme(scheme_over(tmp_path, csv_text, dataset, indicator=indicator))
    result = measure(scheme, parse_period("2026-07"))
    assert [result.cell(a, "n").value for a in ("A01", "A02")] == [0.5, 1.0]


def test_the_roster_and_the_ratings_take_a_rename_too(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, "agent,at\nA01,2026-07-01 09:00\n",
                       "appraisee: agent\nperiod_by: at\ncolumns: {agent: text, at: timestamp}")
    (tmp_path / "roster.csv").write_text("工号,姓名\nA01,张三\n", encoding="utf-8")
    (tmp_path / "ratings.csv").write_text("被考核人,指标,评价人,评分\nA01,n,M1,4\n", encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace(
        "roster: {source: csv, path: roster.csv, key: agent}",
        "roster: {source: csv, path: roster.csv, rename: {工号: agent, 姓名: name}, key: agent, name: name}\n"
        "ratings: {source: csv, path: ratings.csv,"
        " rename: {被考核人: appraisee, 指标: indicator, 评价人: rater, 评分: rating}}")
    path.write_text(text, encoding="utf-8")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert rows(engine, "SELECT agent, name FROM roster") == [("A01", "张三")]
        assert rows(engine, "SELECT appraisee, indicator, rater, rating FROM ratings") == [("A01", "n", "M1", 4.0)]


def test_a_renamed_key_of_a_streamed_parquet_file_drops_its_repeats(tmp_path: Path) -> None:
    import duckdb

    connection = duckdb.connect()
    connection.execute(
        "COPY (SELECT *, TIMESTAMP '2026-07-01 09:00' AS \"Created At\""
        " FROM (VALUES (0, 'T1', 'A01'), (1, 'T2', 'A01'), "
        "(2, 'T1', 'A02')) AS t(pos, \"Ticket ID\", Agent)) "
        f"TO '{tmp_path / 'tickets.parquet'}' (FORMAT parquet)")
    connection.close()
    dataset = ("rename: {Ticket ID: ticket_id, Agent: agent, Created At: created_at}\n"
               "key: ticket_id\nappraisee: agent\n"
               "period_by: created_at\ncolumns: {ticket_id: text, agent: text, created_at: timestamp}")
    path = scheme_over(tmp_path, "", dataset, source="source: parquet\n    path: tickets.parquet")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert rows(engine, "SELECT pos, ticket_id, agent FROM tickets ORDER BY pos") == [
            (0, "T1", "A01"), (1, "T2", "A01")]
        assert bare(engine.quality) == [QualityCount("tickets", "duplicate key", "ticket_id", 1)]


def test_a_renamed_column_missing_from_the_file_is_a_clear_message(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, RENAMED.replace("Ticket ID", "Ticket Id"), RENAMING)
    with pytest.raises(DataError) as caught:
        open_engine(load_scheme(path), extensions().sources)
    assert str(caught.value) == (
        "dataset 'tickets': rename: the file has no column 'Ticket ID'; did you mean 'Ticket Id'? its columns are: "
        "Ticket Id, Agent, Created At, First Response (h), Reopened?, 2nd agent, 满意度")


def test_a_new_name_the_file_already_has_is_a_clear_message(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, "Agent,AGENT_ID,at\nA01,A02,2026-07-01 09:00\n",
                       "rename: {Agent: agent_id}\nappraisee: agent_id\nperiod_by: at\n"
                       "columns: {agent_id: text, at: timestamp}")
    with pytest.raises(DataError) as caught:
        open_engine(load_scheme(path), extensions().sources)
    assert str(caught.value) == (  # the engine's column names ignore case
        "dataset 'tickets': rename: 'Agent' is renamed to 'agent_id', but the file has a column 'AGENT_ID' too; "
        "rename that one as well or pick another name")


def test_swapping_two_names_is_allowed(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, "at,agent\nA01,2026-07-01 09:00\n",
                       "rename: {at: agent, agent: at}\nappraisee: agent\nperiod_by: at\n"
                       "columns: {agent: text, at: timestamp}")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert rows(engine, 'SELECT agent, "at" FROM tickets') == [("A01", datetime(2026, 7, 1, 9))]


@pytest.mark.parametrize(
    ("rename", "columns", "message"),
    [
        ('{"First Response (h)": first response}', "{agent: text, at: timestamp}",
         "new name 'first response' of column 'First Response (h)' cannot be named in expressions: "
         "use letters, digits and _, not starting with a digit, and not a Python keyword"),
        ('{"2nd": 2nd_agent}', "{agent: text, at: timestamp}",
         "new name '2nd_agent' of column '2nd' cannot be named in expressions: "
         "use letters, digits and _, not starting with a digit, and not a Python keyword"),
        ('{Class: class}', "{agent: text, at: timestamp}",
         "new name 'class' of column 'Class' cannot be named in expressions: "
         "use letters, digits and _, not starting with a digit, and not a Python keyword"),
        ('{Secret: __secret}', "{agent: text, at: timestamp}",
         "new name '__secret' of column 'Secret' cannot be named in expressions: "
         "names with double underscores are reserved"),
        ('{Agent: agent, Agent 2: agent}', "{agent: text, at: timestamp}",
         "'Agent' and 'Agent 2' are both renamed to 'agent'; a name can stand for one column"),
        ('{Score: score}', "{agent: text, at: timestamp, Score: integer}",
         "column 'Score' is renamed to 'score'; declare it as 'score'"),
    ],
)
def test_rename_mistakes_are_located_validate_messages(tmp_path: Path, rename: str, columns: str, message: str) -> None:
    path = scheme_over(tmp_path, "agent,at\n", f"rename: {rename}\nappraisee: agent\nperiod_by: at\ncolumns: {columns}")
    assert problems(path) == [message]


def test_a_key_still_naming_the_old_column_is_a_validate_message(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, "Agent,at\n", "rename: {Agent: agent}\nappraisee: Agent\nperiod_by: at")
    assert problems(path) == ["column 'Agent' is renamed to 'agent'; use the new name"]


# --- declared formats -----------------------------------------------------------------------------


def typed_column(tmp_path: Path, declared: str, cells: list[str]) -> tuple[list[object], list[QualityCount]]:
    csv_text = "agent,at,value\n" + "".join(f"A01,2026-07-01 09:00,{c}\n" for c in cells)
    path = scheme_over(tmp_path, csv_text,
                       f"appraisee: agent\nperiod_by: at\ncolumns: {{agent: text, at: timestamp, value: {declared}}}")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        return [r[0] for r in rows(engine, "SELECT value FROM tickets")], list(engine.quality)


@pytest.mark.parametrize(
    ("declared", "cells", "expected"),
    [
        ('{type: date, format: "%m/%d/%Y"}', ["7/4/2026", "07/04/2026", "12/31/2026"],
         [date(2026, 7, 4), date(2026, 7, 4), date(2026, 12, 31)]),
        ('{type: date, format: "%d.%m.%Y"}', ["4.7.2026", "31.12.2026"], [date(2026, 7, 4), date(2026, 12, 31)]),
        ('{type: date, format: "%Y年%m月%d日"}', ["2026年7月4日", "2026年12月31日"],
         [date(2026, 7, 4), date(2026, 12, 31)]),
        ('{type: timestamp, format: "%m/%d/%Y %H:%M"}', ["7/4/2026 9:05", " 7/4/2026 23:59 "],
         [datetime(2026, 7, 4, 9, 5), datetime(2026, 7, 4, 23, 59)]),
        ('{type: timestamp, format: "%m/%d/%Y %I:%M %p"}', ["7/4/2026 2:30 PM", "7/4/2026 12:05 AM"],
         [datetime(2026, 7, 4, 14, 30), datetime(2026, 7, 4, 0, 5)]),
        ('{type: timestamp, format: ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"]}',
         ["7/4/2026 9:05:07", "7/4/2026 9:05", "7/4/2026"],
         [datetime(2026, 7, 4, 9, 5, 7), datetime(2026, 7, 4, 9, 5), datetime(2026, 7, 4)]),
        ("{type: date, format: excel}", ["46207", "46207.75", "1"],
         [date(2026, 7, 4), date(2026, 7, 4), date(1899, 12, 31)]),
        ("{type: timestamp, format: excel}", ["46207.5", "46207.3958333333", "46207"],
         [datetime(2026, 7, 4, 12), datetime(2026, 7, 4, 9, 30), datetime(2026, 7, 4)]),
    ],
)
def test_dates_and_timestamps_load_in_their_declared_format(
    tmp_path: Path, declared: str, cells: list[str], expected: list[object]
) -> None:
    values, quality = typed_column(tmp_path, declared, cells)
    assert values == expected
    assert bare(quality) == []


@pytest.mark.parametrize(
    ("declared", "cells", "cause"),
    [
        ('{type: date, format: "%m/%d/%Y"}', ["2026-07-04", "13/4/2026", "7/4/2026 9:00"], "unparseable date"),
        ('{type: timestamp, format: "%m/%d/%Y %H:%M"}', ["7/4/2026", "2026-07-04 09:00", "7/4/2026 25:00"],
         "unparseable timestamp"),
        ("{type: date, format: excel}", ["-1", "7/4/2026", "3000000"], "unparseable date"),
        ("{type: timestamp, format: excel}", ["abc", "inf", "nan"], "unparseable timestamp"),
    ],
)
def test_a_cell_that_does_not_fit_its_declared_format_is_counted(
    tmp_path: Path, declared: str, cells: list[str], cause: str
) -> None:
    values, quality = typed_column(tmp_path, declared, [*cells, ""])
    assert values == [None] * 4
    assert bare(quality) == [QualityCount("tickets", cause, "value", 3)]


def test_us_dates_without_a_declared_format_are_counted_not_guessed(tmp_path: Path) -> None:
    values, quality = typed_column(tmp_path, "date", ["7/4/2026"])
    assert values == [None]
    assert bare(quality) == [QualityCount("tickets", "unparseable date", "value", 1)]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ('{type: date, format: "MM/DD/YYYY"}',
         "format 'MM/DD/YYYY' has no % directive; write for example '%m/%d/%Y' for 7/4/2026, "
         "or 'excel' for serial numbers"),
        ('{type: date, format: "%m/%d/%Q"}', "format '%m/%d/%Q' has '%Q', which is not a date or time directive"),
        ('{type: timestamp, format: "%Y-%m-%d %H:%M%z"}',
         "format '%Y-%m-%d %H:%M%z' has '%z', which is not a date or time directive; "
         "text with a time-zone offset is read without a format"),
        ('{type: date, format: "%m/%d/%Y %"}',
         "format '%m/%d/%Y %' has a lone '%' at the end, which is not a date or time directive"),
        ('{type: integer, format: "%m/%d/%Y"}', "'format' is for date and timestamp columns; 'value' is integer"),
        ('{type: date, format: ["%m/%d/%Y", excel]}', "'excel' is a format of its own; give it alone, not in a list"),
        ("{type: timestamp, date: day}", "a timestamp built from two columns needs both 'date' and 'time'; add 'time'"),
        ("{type: date, date: day, time: clock}", "'date' and 'time' build a timestamp; 'value' is date"),
        ("{type: timestamp, date: value, time: clock}",
         "'value' cannot be built from itself; name the file's date column"),
        ("{type: timestamp, date: day, time: clock, format: excel}",
         "'excel' reads one serial number; a timestamp built from a date and a time needs a strptime format"),
    ],
)
def test_format_mistakes_are_located_validate_messages(tmp_path: Path, declared: str, message: str) -> None:
    path = scheme_over(tmp_path, "agent,at,value\n",
                       f"appraisee: agent\nperiod_by: at\ncolumns: {{agent: text, at: timestamp, value: {declared}}}")
    assert problems(path) == [message]


def test_a_misspelt_column_type_in_the_long_form_is_a_schema_problem(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, "agent,at,value\n",
                       "appraisee: agent\nperiod_by: at\n"
                       "columns: {agent: text, at: timestamp, value: {type: tiemstamp}}")
    assert problems(path) == ["the text 'tiemstamp' is not one of: text, integer, number, flag, date, timestamp, "
                              "duration; did you mean 'timestamp'?"]


# --- a timestamp built from a date and a time ------------------------------------------------------

BUILT = """\
    agent,Created Date,Created Time
    A01,7/1/2026,9:05
    A01,7/31/2026,23:59
    A02,8/1/2026,00:01
    A02,7/2/2026,
    A02,,10:00
    A02,,
"""
BUILDING = """\
    appraisee: agent
    period_by: created_at
    columns:
      agent: text
      created_at: {type: timestamp, date: Created Date, time: Created Time, format: "%m/%d/%Y %H:%M"}
"""


def test_a_timestamp_is_built_from_a_date_column_and_a_time_column(tmp_path: Path) -> None:
    with open_engine(load_scheme(scheme_over(tmp_path, BUILT, BUILDING)), extensions().sources) as engine:
        assert [r[0] for r in rows(engine, "SELECT created_at FROM tickets")] == [
            datetime(2026, 7, 1, 9, 5), datetime(2026, 7, 31, 23, 59), datetime(2026, 8, 1, 0, 1), None, None, None]


def test_a_row_with_only_its_date_or_only_its_time_is_counted_never_midnight(tmp_path: Path) -> None:
    with open_engine(load_scheme(scheme_over(tmp_path, BUILT, BUILDING)), extensions().sources) as engine:
        assert bare(engine.quality) == [QualityCount("tickets", "unparseable timestamp", "created_at", 2)]


def test_a_built_timestamp_places_rows_in_the_period(tmp_path: Path) -> None:
    from appraisal.periods import parse_period
    from appraisal.pipeline import measure

    result = measure(load_scheme(scheme_over(tmp_path, BUILT, BUILDING)), parse_period("2026-07"))
    assert [result.cell(a, "n").value for a in ("A01", "A02")] == [2, None]
    counts = {(q.cause, q.column): q.count for q in result.quality}
    assert counts[("outside period", "created_at")] == 1
    assert counts[("no period value", "created_at")] == 3


def test_a_built_timestamp_is_usable_in_expressions(tmp_path: Path) -> None:
    from appraisal.periods import parse_period
    from appraisal.pipeline import measure

    csv_text = "agent,day,clock,answered_at\nA01,7/1/2026,9:00,2026-07-01 11:30\nA01,7/2/2026,10:00,2026-07-02 10:30\n"
    dataset = """\
        appraisee: agent
        period_by: created_at
        columns:
          agent: text
          created_at: {type: timestamp, date: day, time: clock, format: "%m/%d/%Y %H:%M"}
          answered_at: timestamp
    """
    indicator = '{dataset: tickets, agg: mean, of: "hours(answered_at - created_at)"}'
    scheme = load_scheme(scheme_over(tmp_path, csv_text, dataset, indicator=indicator))
    result = measure(scheme, parse_period("2026-07"))
    assert result.cell("A01", "n").value == pytest.approx(1.5)


def test_a_built_timestamp_without_a_format_reads_the_default_spellings(tmp_path: Path) -> None:
    csv_text = "agent,day,clock\nA01,2026-07-01,09:05\nA01,2026/07/02,9:05:30\n"
    dataset = ("appraisee: agent\nperiod_by: at\n"
               "columns: {agent: text, at: {type: timestamp, date: day, time: clock}, day: date}")
    with open_engine(load_scheme(scheme_over(tmp_path, csv_text, dataset)), extensions().sources) as engine:
        assert rows(engine, 'SELECT "at", day FROM tickets') == [
            (datetime(2026, 7, 1, 9, 5), date(2026, 7, 1)), (datetime(2026, 7, 2, 9, 5, 30), date(2026, 7, 2))]


def test_a_built_timestamp_from_workbook_date_and_time_cells(tmp_path: Path) -> None:
    from datetime import time

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["agent", "day", "clock"])
    book.active.append(["A01", datetime(2026, 7, 1), time(9, 30)])
    book.save(tmp_path / "t.xlsx")
    dataset = ("appraisee: agent\nperiod_by: at\n"
               "columns: {agent: text, at: {type: timestamp, date: day, time: clock}, day: date}")
    path = scheme_over(tmp_path, "", dataset, source="source: xlsx\n    path: t.xlsx")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert rows(engine, 'SELECT "at", day FROM tickets') == [(datetime(2026, 7, 1, 9, 30), date(2026, 7, 1))]


def test_a_built_column_the_file_already_has_is_a_clear_message(tmp_path: Path) -> None:
    csv_text = "agent,day,clock,at\nA01,2026-07-01,09:05,2026-07-01 09:05\n"
    dataset = "appraisee: agent\nperiod_by: at\ncolumns: {agent: text, at: {type: timestamp, date: day, time: clock}}"
    with pytest.raises(DataError) as caught:
        open_engine(load_scheme(scheme_over(tmp_path, csv_text, dataset)), extensions().sources)
    assert str(caught.value) == ("dataset 'tickets': column 'at' is built from 'day' and 'clock', but the file has a "
                                 "column 'at' too; rename one of them")


def test_the_parts_of_a_built_timestamp_must_be_in_the_file(tmp_path: Path) -> None:
    dataset = "appraisee: agent\nperiod_by: at\ncolumns: {agent: text, at: {type: timestamp, date: day, time: clock}}"
    with pytest.raises(DataError) as caught:
        scheme = load_scheme(scheme_over(tmp_path, "agent,day,time\nA01,2026-07-01,09:05\n", dataset))
        open_engine(scheme, extensions().sources)
    assert str(caught.value) == "dataset 'tickets': the file has no column 'clock'; its columns are: agent, day, time"


# --- flags ----------------------------------------------------------------------------------------

TRUE_SPELLINGS = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "t", "T", "1", "是", " y "]
FALSE_SPELLINGS = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "f", "F", "0", "否", " N "]


@pytest.mark.parametrize(
    ("cell", "expected"), [*((c, True) for c in TRUE_SPELLINGS), *((c, False) for c in FALSE_SPELLINGS)]
)
def test_flag_spellings_of_the_scheme_reference(tmp_path: Path, cell: str, expected: bool) -> None:
    values, quality = typed_column(tmp_path, "flag", [cell])
    assert (values, bare(quality)) == ([expected], [])


@pytest.mark.parametrize("cell", ["maybe", "2", "-1", "对", "错", "on", "off", "yes!", "0.0"])
def test_other_flag_spellings_are_counted_as_unparseable(tmp_path: Path, cell: str) -> None:
    values, quality = typed_column(tmp_path, "flag", [cell])
    assert (values, bare(quality)) == ([None], [QualityCount("tickets", "unparseable flag", "value", 1)])


def test_the_flag_table_of_the_scheme_reference_is_the_engines() -> None:
    """The documented spellings are the ones the engine reads, no more and no fewer."""
    from appraisal.engines import coercion

    reference = (Path(__file__).resolve().parent.parent / "docs" / "scheme-reference.md").read_text(encoding="utf-8")
    [true_row] = [line for line in reference.splitlines() if line.endswith("| true |")]
    [false_row] = [line for line in reference.splitlines() if line.endswith("| false |")]
    documented = [cell.strip("`") for cell in true_row.split("(")[0].strip("| ").split(", ")]
    assert documented == list(coercion.TRUE)
    assert [cell.strip("`") for cell in false_row.split("(")[0].strip("| ").split(", ")] == list(coercion.FALSE)


# --- properties -------------------------------------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 12, 31)).map(
    lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moments=st.lists(MOMENTS, min_size=1, max_size=8))
def test_a_timestamp_written_in_a_declared_format_reads_back_as_written(
    tmp_path_factory: pytest.TempPathFactory, moments: list[datetime]
) -> None:
    """US dates without padding, 12-hour clock: what strftime writes, the declared format reads."""
    cells = [f"{t.month}/{t.day}/{t.year} {t:%I:%M:%S} {t:%p}" for t in moments]
    declared = '{type: timestamp, format: "%m/%d/%Y %I:%M:%S %p"}'
    values, quality = typed_column(tmp_path_factory.mktemp("us"), declared, cells)
    assert values == [t.replace(microsecond=0) for t in moments]
    assert bare(quality) == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moments=st.lists(MOMENTS, min_size=1, max_size=8))
def test_an_excel_serial_reads_back_as_the_moment_it_stands_for(
    tmp_path_factory: pytest.TempPathFactory, moments: list[datetime]
) -> None:
    """Serial = days since 1899-12-30 with the time as a fraction, as Excel writes it (repr: every digit)."""
    cells = [repr((t - datetime(1899, 12, 30)) / timedelta(days=1)) for t in moments]
    values, quality = typed_column(tmp_path_factory.mktemp("excel"), "{type: timestamp, format: excel}", cells)
    assert values == moments
    assert bare(quality) == []


def test_the_columns_of_a_file_without_a_header_are_renamed_from_their_places(tmp_path: Path) -> None:
    csv_text = "A01\t2026-07-01 09:00\nA02\t2026-07-02 09:00\n"
    (tmp_path / "tickets.tsv").write_text(csv_text, encoding="utf-8")
    dataset = ("rename: {column0: agent, column1: created_at}\nappraisee: agent\nperiod_by: created_at\n"
               "columns: {agent: text, created_at: timestamp}")
    path = scheme_over(tmp_path, "", dataset, source="source: csv\n    path: tickets.tsv\n    options: {header: false}")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert rows(engine, "SELECT agent, created_at FROM tickets") == [
            ("A01", datetime(2026, 7, 1, 9)), ("A02", datetime(2026, 7, 2, 9))]


def test_validate_locates_rename_and_format_mistakes(tmp_path: Path, run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dataset = """\
        rename: {Agent: agent id}
        appraisee: agent
        period_by: at
        columns: {agent: text, at: {type: timestamp, format: "MM/DD/YYYY"}}
    """
    scheme_over(tmp_path, "Agent,at\n", dataset)
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate", "scheme.yaml")
    assert result.exit_code == 1
    assert result.stderr == (
        "scheme.yaml:11:21: datasets.tickets.rename.Agent: new name 'agent id' of column 'Agent' cannot be named in "
        "expressions: use letters, digits and _, not starting with a digit, and not a Python keyword\n"
        "scheme.yaml:14:58: datasets.tickets.columns.at.format: format 'MM/DD/YYYY' has no % directive; write for "
        "example '%m/%d/%Y' for 7/4/2026, or 'excel' for serial numbers\n"
        "2 problems in 1 file\n")
