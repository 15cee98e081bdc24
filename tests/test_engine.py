"""The engine: files checked, DuckDB locked down, declared columns coerced and bad cells counted."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from appraisal.engines.duckdb_engine import QualityCount, open_engine
from appraisal.errors import DataError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.sql.dialect import SPACES

COLUMNS = (
    "{agent: text, at: timestamp, day: date, handle: duration, reopened: flag, "
    "n: integer, score: number}"
)


def write_scheme(folder: Path, data: str = "data/tickets.csv", columns: str = COLUMNS) -> Path:
    text = f"""\
        scheme: engine
        version: 1
        title: Engine
        period: month
        timezone: Asia/Shanghai
        roster: {{source: csv, path: data/roster.csv, key: agent, columns: {{agent: text, name: text, start: date}}}}
        datasets:
          tickets:
            source: csv
            path: {data}
            appraisee: agent
            period_by: at
            columns: {columns}
        indicators:
          - id: resolved
            title: Resolved
            measure: {{dataset: tickets, agg: count}}
            target: 10
            score: {{curve: linear, worst: 0, best: 20}}
            weight: 100
        grades: {{A: 90, B: 0}}
    """
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "roster.csv").write_text(
        "agent,name,start\nA01,张三,2026-01-05\nA02,李四,2026/03/01\n", encoding="utf-8"
    )
    scheme = folder / "scheme.yaml"
    scheme.write_text(textwrap.dedent(text), encoding="utf-8")
    return scheme


def engine_for(tmp_path: Path, rows: str, columns: str = COLUMNS):  # type: ignore[no-untyped-def]
    header = "agent,at,day,handle,reopened,n,score\n"
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "tickets.csv").write_text(header + textwrap.dedent(rows), encoding="utf-8")
    return open_engine(load_scheme(write_scheme(tmp_path, columns=columns)), extensions().sources)


def column(engine, name: str) -> list:  # type: ignore[no-untyped-def]
    return [r[0] for r in engine.connection.execute(f'SELECT "{name}" FROM tickets').fetchall()]


GOOD = """\
    A01,2026-07-01 09:00,2026-07-01,1:02:03,Y, 3 , 4.5
    A01,2026-07-01T09:00:05,2026/07/02,00:00:30,N,4,-1
    A02,2026-07-01T09:00:00+00:00,2026-07-03,25:00:00,是,5,0
    A02,2026/07/04 10:00:00,2026-07-04,,否,,
"""


def test_timestamps_in_several_spellings_are_typed(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        assert column(engine, "at") == [
            datetime(2026, 7, 1, 9, 0),
            datetime(2026, 7, 1, 9, 0, 5),
            datetime(2026, 7, 1, 17, 0),  # the offset converted into the scheme's zone
            datetime(2026, 7, 4, 10, 0),
        ]


def test_dates_given_as_text_are_typed(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        assert column(engine, "day") == [date(2026, 7, d) for d in (1, 2, 3, 4)]


def test_durations_become_seconds(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        assert column(engine, "handle") == [3723.0, 30.0, 90000.0, None]


def test_flags_read_yes_no_in_english_and_chinese(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        assert column(engine, "reopened") == [True, False, True, False]


def test_numbers_with_spaces_and_empty_cells_as_null(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        assert column(engine, "n") == [3, 4, 5, None]
        assert column(engine, "score") == [4.5, -1.0, 0.0, None]
        assert engine.quality == []


def test_bad_cells_are_null_and_counted_by_cause(tmp_path: Path) -> None:
    rows = """\
        A01,yesterday,2026-13-01,soon,maybe,1.5,lots
        A01,2026-07-01 09:00,31/12/2026,-0:10:00,Y,2,1
        A02,2026-07-01 09:00,2026-07-01,1:00:00 PM,N,x,2
    """
    with engine_for(tmp_path, rows) as engine:
        assert column(engine, "day") == [None, None, date(2026, 7, 1)]
        assert sorted(engine.quality, key=lambda c: c.column) == [
            QualityCount("tickets", "unparseable timestamp", "at", 1, rows=3, examples=("yesterday",)),
            QualityCount("tickets", "unparseable date", "day", 2, rows=3, examples=("2026-13-01", "31/12/2026")),
            QualityCount("tickets", "negative duration", "handle", 1, rows=3, examples=("-0:10:00",)),
            QualityCount("tickets", "unparseable duration", "handle", 2, rows=3, examples=("1:00:00 PM", "soon")),
            QualityCount("tickets", "unparseable integer", "n", 2, rows=3, examples=("1.5", "x")),
            QualityCount("tickets", "unparseable flag", "reopened", 1, rows=3, examples=("maybe",)),
            QualityCount("tickets", "unparseable number", "score", 1, rows=3, examples=("lots",)),
        ]


def test_time_of_day_cells_from_excel_are_durations(tmp_path: Path) -> None:
    from datetime import time

    import openpyxl

    (tmp_path / "data").mkdir()
    book = openpyxl.Workbook()
    book.active.append(["agent", "at", "handle"])
    book.active.append(["A01", datetime(2026, 7, 1, 9), time(0, 4, 30)])
    book.save(tmp_path / "data" / "t.xlsx")
    scheme = write_scheme(tmp_path, columns="{agent: text, at: timestamp, handle: duration}")
    scheme.write_text(scheme.read_text(encoding="utf-8").replace(
        "source: csv\n    path: data/tickets.csv", "source: xlsx\n    path: data/t.xlsx"
    ), encoding="utf-8")
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        assert column(engine, "handle") == [270.0]


def test_roster_is_loaded_and_typed(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        rows = engine.connection.execute("SELECT agent, name, start FROM roster ORDER BY 1").fetchall()
        assert rows == [("A01", "张三", date(2026, 1, 5)), ("A02", "李四", date(2026, 3, 1))]
        assert engine.tables == {"roster": "roster", "tickets": "tickets"}


def test_undeclared_columns_pass_through_as_read(tmp_path: Path) -> None:
    columns = "{agent: text, at: timestamp}"
    with engine_for(tmp_path, GOOD, columns=columns) as engine:
        assert column(engine, "n") == [" 3 ", "4", "5", None]


def test_chinese_column_names_are_usable(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "tickets.csv").write_text("坐席,创建时间,时长\nA01,2026-07-01 09:00,0:01:00\n",
                                                   encoding="utf-8")
    scheme = write_scheme(tmp_path, columns="{坐席: text, 创建时间: timestamp, 时长: duration}")
    scheme.write_text(scheme.read_text(encoding="utf-8").replace("appraisee: agent", "appraisee: 坐席").replace(
        "period_by: at", "period_by: 创建时间"), encoding="utf-8")
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        assert column(engine, "时长") == [60.0]


def test_missing_file_is_a_clean_data_error(tmp_path: Path) -> None:
    scheme = write_scheme(tmp_path)
    with pytest.raises(DataError) as caught:
        open_engine(load_scheme(scheme), extensions().sources)
    assert str(caught.value) == "dataset 'tickets': file not found: data/tickets.csv"


def test_missing_declared_column_names_the_columns_there_are(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "tickets.csv").write_text("agent,at,handel\nA01,2026-07-01,1:00\n", encoding="utf-8")
    scheme = write_scheme(tmp_path, columns="{agent: text, at: timestamp, handle: duration}")
    with pytest.raises(DataError) as caught:
        open_engine(load_scheme(scheme), extensions().sources)
    assert str(caught.value) == (
        "dataset 'tickets': the file has no column 'handle'; did you mean 'handel'? "
        "its columns are: agent, at, handel"
    )


def test_undeclared_files_are_unreadable_after_opening(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("a\n1\n", encoding="utf-8")
    with engine_for(tmp_path, GOOD) as engine:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            engine.connection.execute("SELECT * FROM read_csv(?)", [str(tmp_path / "secret.csv")]).fetchall()
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            engine.connection.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()


def test_lock_down_cannot_be_undone(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine, pytest.raises(duckdb.Error, match="locked"):
        engine.connection.execute("SET enable_external_access = true").fetchall()


def test_extensions_are_not_installed_or_loaded_automatically(tmp_path: Path) -> None:
    with engine_for(tmp_path, GOOD) as engine:
        settings = engine.connection.execute(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')"
        ).fetchone()
        assert settings == (False, False)
        with pytest.raises(duckdb.Error):
            engine.connection.execute("INSTALL excel").fetchall()


# --- repeated keys in a streamed (Parquet) dataset ------------------------------------------


def parquet_engine(tmp_path: Path, keys: list[object], *, key_type: str = "VARCHAR", declared: str | None = "text"):  # type: ignore[no-untyped-def]
    """An engine over a Parquet file of one row per key (`pos` is the row's place in the file)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    path = tmp_path / "data" / "tickets.parquet"
    values = ", ".join(f"({i}, ?)" for i in range(len(keys)))
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT pos, CAST(id AS {key_type}) AS id, 'A01' AS agent, TIMESTAMP '2026-07-01 09:00' AS at "
        f"FROM (VALUES {values}) AS t(pos, id) ORDER BY pos) TO '{path}' (FORMAT parquet)",
        keys,
    )
    connection.close()
    columns = "{agent: text, at: timestamp" + (f", id: {declared}" if declared else "") + "}"
    scheme = write_scheme(tmp_path, data="data/tickets.parquet", columns=columns)
    text = scheme.read_text(encoding="utf-8").replace(
        "source: csv\n    path: data/tickets.parquet", "source: parquet\n    path: data/tickets.parquet\n    key: id")
    if declared is None:  # a dataset that declares a column declares its key: here none is declared
        text = text.replace(f"    columns: {columns}\n", "")
    scheme.write_text(text, encoding="utf-8")
    return open_engine(load_scheme(scheme), extensions().sources)


def kept(engine) -> list[int]:  # type: ignore[no-untyped-def]
    return [r[0] for r in engine.connection.execute("SELECT pos FROM tickets ORDER BY pos").fetchall()]


def duplicates(engine) -> int:  # type: ignore[no-untyped-def]
    return sum(c.count for c in engine.quality if c.cause == "duplicate key")


@pytest.mark.parametrize(
    ("keys", "expected_kept"),
    [
        (["A", "B", "A", "C", "B"], [0, 1, 3]),  # pairs: the later row goes
        (["A", "A", "B", "A", "A"], [0, 2]),  # a key three times and more
        (["A", " A", "A ", "B", "  B  "], [0, 3]),  # the same key once trimmed
        (["A", "A\u3000", "\u00a0A", "B", "B\t"], [0, 3, 4]),  # Unicode's spaces are trimmed, a tab is not
        ([" C", "D", "C"], [0, 1]),  # the first row is the one with spaces
        (["", "  ", None, None, "", "E"], [0, 1, 2, 3, 4, 5]),  # no key: never a repeat
        (["F", "G", "H"], [0, 1, 2]),  # nothing repeated
    ],
)
def test_a_streamed_dataset_keeps_the_first_row_of_each_trimmed_key(
    tmp_path: Path, keys: list[object], expected_kept: list[int]
) -> None:
    with parquet_engine(tmp_path, keys) as engine:
        assert kept(engine) == expected_kept
        assert duplicates(engine) == len(keys) - len(expected_kept)
        typed = engine.connection.execute("SELECT id FROM tickets ORDER BY pos").fetchall()
        assert all(value is None or value == value.strip(SPACES) != "" for (value,) in typed)


def test_an_undeclared_streamed_key_is_compared_as_read(tmp_path: Path) -> None:
    with parquet_engine(tmp_path, ["T1", " T1", "T1", " T1", "T2"], declared=None) as engine:
        assert kept(engine) == [0, 1, 4]
        assert duplicates(engine) == 2


def test_a_streamed_rosters_undeclared_key_is_compared_typed(tmp_path: Path) -> None:
    """The roster's key is a text whether declared or not: ` A01` is `A01`, repeated."""
    (tmp_path / "data").mkdir()
    roster = tmp_path / "data" / "roster.parquet"
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT * FROM (VALUES (0, 'A01'), (1, ' A01'), (2, 'A01'), (3, ' A01'), (4, 'A02')) AS t(pos, agent) "
        f"ORDER BY pos) TO '{roster}' (FORMAT parquet)"
    )
    connection.close()
    (tmp_path / "data" / "tickets.csv").write_text("agent,at\nA01,2026-07-01 09:00\n", encoding="utf-8")
    scheme = write_scheme(tmp_path, columns="{agent: text, at: timestamp}")
    text = scheme.read_text(encoding="utf-8")
    start = text.index("roster: ")
    scheme.write_text(text[:start] + "roster: {source: parquet, path: data/roster.parquet, key: agent}"
                      + text[text.index("\n", start):], encoding="utf-8")
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        rows = engine.connection.execute("SELECT pos, agent FROM roster ORDER BY pos").fetchall()
        assert rows == [(0, "A01"), (4, "A02")]
        assert engine.quality == [QualityCount("roster", "duplicate key", "agent", 3, rows=5, examples=("A01",))]


def test_a_streamed_key_typed_from_numbers_is_compared_typed(tmp_path: Path) -> None:
    with parquet_engine(tmp_path, [1, 2, 1, 3, 2, 1], key_type="BIGINT", declared="integer") as engine:
        assert kept(engine) == [0, 1, 3]
        assert duplicates(engine) == 3
    with parquet_engine(tmp_path, [7, 7, 8], key_type="BIGINT", declared="text") as engine:
        assert kept(engine) == [0, 2]
        assert duplicates(engine) == 1


def test_queries_over_a_streamed_dataset_do_not_read_its_key_again(tmp_path: Path) -> None:
    """Repeats are dropped by file row number: a query that does not use the key never reads it."""
    import json

    def read_columns(node: dict) -> list[str]:  # type: ignore[type-arg]
        found = []
        if node.get("name", "").strip() == "READ_PARQUET":  # DuckDB 1.4 writes "READ_PARQUET "
            projections = node["extra_info"]["Projections"]
            found += [projections] if isinstance(projections, str) else projections
        for child in node.get("children", []):
            found += read_columns(child)
        return found

    with parquet_engine(tmp_path, ["A", "B", "A"]) as engine:
        sql = "SELECT count(*), max(pos) FROM tickets"
        [(_, plan)] = engine.connection.execute(f"EXPLAIN (FORMAT json) {sql}").fetchall()
        assert sorted(c for tree in json.loads(plan) for c in read_columns(tree)) == ["file_row_number", "pos"]
        assert engine.connection.execute(sql).fetchall() == [(2, 1)]
