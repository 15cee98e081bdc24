"""Bad rows are counted, never fatal: ragged CSV rows, unterminated quotes, empty files, roster
rows without an id, impossible time-zone offsets; and messages never quote a file that did not
parse as declared."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.engines.duckdb_engine import QualityCount, open_engine
from appraisal.errors import DataError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions

COLUMNS = "{id: text, agent: text, at: timestamp, score: integer}"



def bare(quality: list) -> list:
    """The counts without the rows they were looked for among and their example values (the
    data-quality tests check those): what the reader counted, where."""
    from dataclasses import replace

    return [replace(q, rows=None, examples=()) for q in quality]

def scheme_over(folder: Path, tickets: bytes | str, *, options: str = "", columns: str = COLUMNS,
                roster: str = "agent\nA01\nA02\n") -> Path:
    data = tickets.encode("utf-8") if isinstance(tickets, str) else tickets
    (folder / "tickets.csv").write_bytes(data)
    (folder / "roster.csv").write_text(roster, encoding="utf-8")
    text = (
        "scheme: bad-rows\nversion: 1\ntitle: Bad rows\nperiod: month\ntimezone: Asia/Shanghai\n"
        "roster: {source: csv, path: roster.csv, key: agent}\n"
        "datasets:\n  tickets:\n    source: csv\n    path: tickets.csv\n"
        + (f"    options: {options}\n" if options else "")
        + f"    key: id\n    appraisee: agent\n    period_by: at\n    columns: {columns}\n"
        "indicators:\n  - id: n\n    title: N\n    measure: {dataset: tickets, agg: count}\n    target: 1\n"
        "    score: {curve: linear, worst: 0, best: 2}\n    weight: 100\n"
        "grades: {A: 90, B: 0}\n"
    )
    (folder / "scheme.yaml").write_text(text, encoding="utf-8")
    return folder / "scheme.yaml"


def loaded(path: Path) -> tuple[list[str], list[QualityCount]]:
    with open_engine(load_scheme(path), extensions().sources) as engine:
        ids = [r[0] for r in engine.connection.execute("SELECT id FROM tickets ORDER BY id").fetchall()]
        return ids, list(engine.quality)


def load_error(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        open_engine(load_scheme(path), extensions().sources)
    return str(caught.value)


HEADER = "id,agent,at,score\n"


def test_rows_with_too_many_or_too_few_fields_are_counted_with_their_lines(tmp_path: Path) -> None:
    text = HEADER + ("T1,A01,2026-07-01 09:00,5\nT2,A01,2026-07-01 10:00\nT3,A02,2026-07-02 09:00,4,extra\n"
                     "T4,A02,2026-07-03 09:00,3\n")
    ids, quality = loaded(scheme_over(tmp_path, text))
    assert ids == ["T1", "T4"]
    assert bare(quality) == [QualityCount("tickets", "ragged row", "", 2, lines=(3, 4))]


def test_rows_of_a_dataset_named_in_chinese_are_counted_too(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, HEADER + "T1,A01,2026-07-01 09:00,5\nT2,A01\n")
    text = path.read_text(encoding="utf-8").replace("  tickets:\n", "  工单:\n")
    text = text.replace("dataset: tickets", "dataset: 工单")
    path.write_text(text, encoding="utf-8")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert bare(engine.quality) == [QualityCount("工单", "ragged row", "", 1, lines=(3,))]


def test_an_unterminated_quote_is_counted_and_the_rest_measured(tmp_path: Path) -> None:
    text = HEADER + 'T1,A01,2026-07-01 09:00,5\nT2,"A01,2026-07-01 10:00,4\nT3,A02,2026-07-02 09:00,4\n'
    ids, quality = loaded(scheme_over(tmp_path, text))
    assert ids == ["T1"]  # the open quote swallows the line break and the next line, as CSV says
    assert bare(quality) == [QualityCount("tickets", "unterminated quote", "", 1, lines=(3,))]


def test_text_after_a_closing_quote_is_counted(tmp_path: Path) -> None:
    text = HEADER + 'T1,A01,2026-07-01 09:00,5\nT2,"A01"x,2026-07-01 10:00,4\nT3,A02,2026-07-02 09:00,4\n'
    ids, quality = loaded(scheme_over(tmp_path, text))
    assert ids == ["T1", "T3"]
    assert bare(quality) == [QualityCount("tickets", "unterminated quote", "", 1, lines=(3,))]


def test_quoted_fields_with_delimiters_and_line_breaks_still_load(tmp_path: Path) -> None:
    text = 'id,agent,at,score,note\r\nT1,A01,2026-07-01 09:00,5,"a, b"\r\nT2,A02,2026-07-01 10:00,4,"two\r\nlines"\r\n'
    with open_engine(load_scheme(scheme_over(tmp_path, text)), extensions().sources) as engine:
        assert engine.connection.execute("SELECT id, note FROM tickets ORDER BY id").fetchall() == [
            ("T1", "a, b"), ("T2", "two\r\nlines")]
        assert bare(engine.quality) == []


def test_invalid_text_in_a_row_is_counted(tmp_path: Path) -> None:
    data = ((HEADER + "T1,A01,2026-07-01 09:00,5\n").encode() + b"T2,A\xff\xfe1,2026-07-01 10:00,4\n"
            + b"T3,A02,2026-07-02 09:00,4\n")
    ids, quality = loaded(scheme_over(tmp_path, data))
    assert ids == ["T1", "T3"]
    assert bare(quality) == [QualityCount("tickets", "invalid text encoding", "", 1, lines=(3,))]


def test_a_ragged_row_does_not_make_the_delimiter_guessed_wrong(tmp_path: Path) -> None:
    text = "id;agent;at;score\nT1;A01;2026-07-01 09:00;5\nT2;A01\nT3;A02;2026-07-02 09:00;4\n"
    ids, quality = loaded(scheme_over(tmp_path, text))
    assert ids == ["T1", "T3"]
    assert bare(quality) == [QualityCount("tickets", "ragged row", "", 1, lines=(3,))]


def test_a_declared_delimiter_is_kept_whatever_the_rows_hold(tmp_path: Path) -> None:
    text = "id|agent|at|score\nT1|A01|2026-07-01 09:00|5\nT2|A01|x|y|z\n"
    ids, quality = loaded(scheme_over(tmp_path, text, options='{delimiter: "|"}'))
    assert ids == ["T1"]
    assert bare(quality) == [QualityCount("tickets", "ragged row", "", 1, lines=(3,))]


def test_a_ragged_row_at_the_end_of_a_large_file_is_counted_after_the_full_scan(tmp_path: Path) -> None:
    rows = 200_000
    body = "".join(f"T{i},A0{1 + i % 2},2026-07-{1 + i % 28:02d} 09:00,{i % 5 + 1}\n" for i in range(rows))
    scheme = load_scheme(scheme_over(tmp_path, HEADER + body + "T-last,A01\n"))
    with open_engine(scheme, extensions().sources) as engine:
        [(count, total)] = engine.connection.execute("SELECT count(*), sum(score) FROM tickets").fetchall()
        assert count == rows
        assert total == sum(i % 5 + 1 for i in range(rows))
        assert bare(engine.quality) == [QualityCount("tickets", "ragged row", "", 1, lines=(rows + 2,))]


def test_at_most_ten_line_numbers_are_kept_with_a_count(tmp_path: Path) -> None:
    text = HEADER + "".join(f"T{i},A01\n" for i in range(25)) + "T99,A01,2026-07-01 09:00,5\n"
    ids, quality = loaded(scheme_over(tmp_path, text))
    assert ids == ["T99"]
    assert bare(quality) == [QualityCount("tickets", "ragged row", "", 25, lines=tuple(range(2, 12)))]


def test_a_file_with_a_header_and_no_rows_is_an_empty_dataset(tmp_path: Path) -> None:
    ids, quality = loaded(scheme_over(tmp_path, HEADER))
    assert (ids, quality) == ([], [])


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n"])
def test_an_empty_file_is_a_clear_message(tmp_path: Path, content: bytes) -> None:
    assert load_error(scheme_over(tmp_path, content)) == (
        "dataset 'tickets': cannot read tickets.csv as csv: tickets.csv is empty: it has no header line and no rows")


def test_a_folder_as_path_is_called_a_folder(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, HEADER)
    (tmp_path / "tickets.csv").unlink()
    (tmp_path / "tickets.csv").mkdir()
    assert load_error(path) == "dataset 'tickets': tickets.csv is a folder, not a file"


# --- silent rows made visible --------------------------------------------------------------------


def test_roster_rows_without_an_id_are_counted(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, HEADER, roster="agent,name\nA01,Ann\n,Nobody\n  ,Blank\nA02,Bob\n")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert QualityCount("roster", "empty id", "agent", 2) in bare(engine.quality)
        assert engine.connection.execute("SELECT agent FROM roster ORDER BY 1").fetchall() == [("A01",), ("A02",)]


@pytest.mark.parametrize("cell", ["2026-07-01T10:00+25:00", "2026-07-01 10:00-15:00", "2026-07-01T10:00+14:30",
                                  "2026-07-01T10:00+0860", "2026-07-01T10:00+8"])
def test_an_impossible_time_zone_offset_is_counted_not_shifted(tmp_path: Path, cell: str) -> None:
    with open_engine(load_scheme(scheme_over(tmp_path, HEADER + f"T1,A01,{cell},5\n")), extensions().sources) as engine:
        assert engine.connection.execute('SELECT "at" FROM tickets').fetchall() == [(None,)]
        assert bare(engine.quality) == [QualityCount("tickets", "unparseable timestamp", "at", 1)]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-07-01T10:00+14:00", datetime(2026, 7, 1, 4)),
        ("2026-07-01T10:00-12:00", datetime(2026, 7, 2, 6)),
        ("2026-07-01 10:00:00Z", datetime(2026, 7, 1, 18)),
        ("2026-07-01T10:00:00.5+0800", datetime(2026, 7, 1, 10, 0, 0, 500000)),
        ("2026-07-01", datetime(2026, 7, 1)),  # a date's own "-01" is no offset: midnight in the scheme's zone
        ("2026-07-01 10:00", datetime(2026, 7, 1, 10)),
    ],
)
def test_real_offsets_convert_into_the_schemes_zone(tmp_path: Path, cell: str, expected: datetime) -> None:
    with open_engine(load_scheme(scheme_over(tmp_path, HEADER + f"T1,A01,{cell},5\n")), extensions().sources) as engine:
        assert engine.connection.execute('SELECT "at" FROM tickets').fetchall() == [(expected,)]
        assert bare(engine.quality) == []


# --- messages quote nothing of a file that did not parse as declared ------------------------------


def test_a_file_without_the_declared_header_is_not_quoted(tmp_path: Path) -> None:
    path = scheme_over(tmp_path, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n",
                       options='{delimiter: ":"}')
    message = load_error(path)
    assert message == ("dataset 'tickets': the file has no column 'id'; its first line has none of the declared "
                       "columns: check path, options.delimiter and options.header")
    assert "root" not in message


def test_a_file_of_random_bytes_is_not_quoted(tmp_path: Path) -> None:
    message = load_error(scheme_over(tmp_path, bytes(range(256)) * 20))
    assert message == ("dataset 'tickets': the file has no column 'id'; its first line has none of the declared "
                       "columns: check path, options.delimiter and options.header")


def test_a_first_line_too_long_to_be_a_header_is_a_clear_message(tmp_path: Path) -> None:
    assert load_error(scheme_over(tmp_path, "a" * 2_000_000 + "\n")) == (
        "dataset 'tickets': cannot read tickets.csv as csv: tickets.csv: cannot read its first line as CSV "
        "(field larger than field limit (1048576))")


def test_a_real_header_is_listed_short_with_control_characters_escaped(tmp_path: Path) -> None:
    names = ["id", "agent", "at", "x" * 60, "bell\x07", *[f"c{i}" for i in range(10)]]
    columns = "{id: text, agent: text, at: timestamp, score: integer}"
    message = load_error(scheme_over(tmp_path, ",".join(names) + "\n", columns=columns))
    assert message == (
        "dataset 'tickets': the file has no column 'score'; its columns are: id, agent, at, "
        + "x" * 39 + "…, bell\\x07, c0, c1, c2 and 7 more")


def test_a_nul_in_the_header_is_shown_as_a_replacement_character(tmp_path: Path) -> None:
    message = load_error(scheme_over(tmp_path, "id,agent,at\x00x,score\nT1,A01,2026-07-01 09:00,5\n"))
    assert message == ("dataset 'tickets': the file has no column 'at'; did you mean 'at\ufffdx'? "
                       "its columns are: id, agent, at\ufffdx, score")


def test_a_header_with_one_declared_column_is_a_real_header(tmp_path: Path) -> None:
    message = load_error(scheme_over(tmp_path, "id,agnet,at,score\nT1,A01,2026-07-01 09:00,5\n"))
    assert message == ("dataset 'tickets': the file has no column 'agent'; did you mean 'agnet'? "
                       "its columns are: id, agnet, at, score")


# --- properties -------------------------------------------------------------------------------

# A row of the file: well formed, or with this many fields instead of four.
ROW_SHAPES = st.lists(st.one_of(st.just(4), st.integers(min_value=1, max_value=7)), min_size=0, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=ROW_SHAPES)
def test_every_row_is_either_loaded_or_counted_at_its_line(
    tmp_path_factory: pytest.TempPathFactory, shapes: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("ragged")
    fields = ["T{n}", "A01", "2026-07-01 09:00", "5", "x", "y", "z"]
    lines = [",".join(f.format(n=n) for f in fields[:width]) for n, width in enumerate(shapes)]
    ids, quality = loaded(scheme_over(folder, HEADER + "".join(f"{line}\n" for line in lines)))
    assert ids == sorted(f"T{n}" for n, width in enumerate(shapes) if width == 4)
    ragged = [n + 2 for n, width in enumerate(shapes) if width != 4]
    expected = [QualityCount("tickets", "ragged row", "", len(ragged), lines=tuple(ragged[:10]))] if ragged else []
    assert bare(quality) == expected
