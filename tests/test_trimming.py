"""Which spaces a text loses at its ends when it is typed (appraisal.sql.dialect.SPACES).

The ASCII space and Unicode's space separators (no-break U+00A0, em U+2003, ideographic U+3000,
...) are trimmed, whatever the engine; tabs and line breaks are kept. A key written `A01　` in one
export and `A01` in another is one appraisee, and a cell of nothing but such spaces is empty.
DuckDB's one-argument `trim` removes exactly SPACES; a file's texts are trimmed only where
`coercion.edged` says they may need it, so `edged` must pass every text that trimming changes.
(Tables in PostgreSQL and Spark: tests/test_engine_tables.py.)
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.engines.coercion import coerce_sql
from appraisal.engines.duckdb_engine import QualityCount, open_engine
from appraisal.engines.id_texts import undeclared_ids
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure
from appraisal.plugins import extensions
from appraisal.sql.dialect import SPACES
from test_bad_rows import HEADER, bare, scheme_over

# What trimming removes and what it keeps, at either end and inside; ASCII and not.
TRICKY = " \t\n\r\x0b\x0c\x1f!~\x7f\x80\x85\xa0\u1680\u2003\u200a\u200b\u202f\u205f\u3000\ufeffaZ0é中"


def _typed(texts: list[str | None]) -> list[str | None]:
    """`texts` as a file's `text` column is typed (appraisal.engines.coercion)."""
    typed, _ = coerce_sql("x", "VARCHAR", "text", "UTC")
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE t AS SELECT unnest($1::VARCHAR[]) AS x, generate_subscripts($1::VARCHAR[], 1) AS i", [texts])
    return [row[0] for row in connection.execute(f"SELECT {typed} FROM t ORDER BY i").fetchall()]


def test_duckdbs_trim_removes_exactly_the_spaces_at_either_end() -> None:
    points = [p for p in range(1, 0x110000) if not 0xD800 <= p <= 0xDFFF]
    connection = duckdb.connect()
    trimmed = connection.execute(
        "SELECT p FROM (SELECT unnest($1::INTEGER[]) AS p) WHERE trim(chr(p) || 'a' || chr(p)) = 'a' ORDER BY p",
        [points]).fetchall()
    assert "".join(chr(p) for (p,) in trimmed) == SPACES


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=TRICKY, max_size=5), st.text(max_size=6)), min_size=1,
                max_size=40))
def test_a_typed_text_is_the_text_without_the_spaces_at_its_ends(texts: list[str | None]) -> None:
    assert _typed(texts) == [None if t is None else (t.strip(SPACES) or None) for t in texts]


def test_tabs_line_breaks_and_zero_width_spaces_are_kept() -> None:
    texts = ["\u3000A01\u3000", "\u00a0A01", "A01\u2003 ", "\tA01", "A01\n", "\u200bA01", "\u3000", "张 三\u3000"]
    assert _typed(texts) == ["A01", "A01", "A01", "\tA01", "A01\n", "\u200bA01", None, "张 三"]


def test_ids_written_with_unicode_spaces_are_the_same_appraisee_and_the_same_key(tmp_path: Path) -> None:
    tickets = (HEADER + "T1,\u00a0A01,2026-07-01 10:00,5\nT1\u3000,A01,2026-07-02 10:00,5\n"
               "T2,A02\u2003,2026-07-03 10:00,5\n")
    path = scheme_over(tmp_path, tickets, roster="agent\nA01\u3000\n\u3000\nA02\n")
    path.write_text(path.read_text(encoding="utf-8").replace(  # a declared text key is typed: trimmed
        "key: agent}", "key: agent, columns: {agent: text}}"), encoding="utf-8")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert bare(engine.quality) == [QualityCount("roster", "empty id", "agent", 1),
                                        QualityCount("tickets", "duplicate key", "id", 1)]
        assert engine.connection.execute("SELECT id, agent FROM tickets ORDER BY id").fetchall() == [
            ("T1", "A01"), ("T2", "A02")]
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {key: cell.value for key, cell in found.cells.items()} == {("A01", "n"): 1.0, ("A02", "n"): 1.0}


def test_an_undeclared_roster_id_typed_with_spaces_is_the_appraisee_of_the_data(tmp_path: Path) -> None:
    """A roster exported from a spreadsheet often carries `CS001 `: the id is a text whether or
    not the roster declares its columns, so it is the data's `CS001`, and two rows of one id
    written with and without spaces are one person (the second a repeated key)."""
    tickets = HEADER + "T1,A01,2026-07-01 10:00,5\nT2,A02,2026-07-02 10:00,5\nT3,A02,2026-07-03 10:00,5\n"
    path = scheme_over(tmp_path, tickets, roster="agent\nA01 \n\u3000A02\nA02\n")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        assert bare(engine.quality) == [QualityCount("roster", "duplicate key", "agent", 1)]
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {key: cell.value for key, cell in found.cells.items()} == {("A01", "n"): 1.0, ("A02", "n"): 2.0}


def test_a_roster_of_numeric_ids_matches_the_data_written_as_text(tmp_path: Path) -> None:
    tickets = HEADER + "T1,7,2026-07-01 10:00,5\nT2,12,2026-07-02 10:00,5\n"
    path = scheme_over(tmp_path, tickets, roster="agent\n7\n12\n")
    connection = duckdb.connect()
    connection.execute(f"COPY (SELECT * FROM (VALUES (7), (12)) AS t(agent)) TO '{tmp_path / 'roster.parquet'}'")
    connection.close()
    path.write_text(path.read_text(encoding="utf-8").replace(
        "source: csv, path: roster.csv", "source: parquet, path: roster.parquet"), encoding="utf-8")
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {key: cell.value for key, cell in found.cells.items()} == {("7", "n"): 1.0, ("12", "n"): 1.0}


def _rated(folder: Path, roster: str, ratings: str) -> Path:
    """A scheme with a Parquet roster (`roster`: its ids' SQL rows) and `ratings` (CSV rows)."""
    connection = duckdb.connect()
    connection.execute(f"COPY (SELECT * FROM (VALUES {roster}) AS t(agent)) TO '{folder / 'roster.parquet'}'")
    connection.close()
    path = scheme_over(folder, HEADER + "T1,A01,2026-07-01 10:00,5\n")
    (folder / "ratings.csv").write_text("appraisee,indicator,rater,rating\n" + ratings, encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace("source: csv, path: roster.csv",
                                                    "source: parquet, path: roster.parquet")
    text = text.replace("datasets:", "ratings: {source: csv, path: ratings.csv}\ndatasets:")
    text = text.replace("weight: 100\n", "weight: 50\n").replace(
        "grades:", "  - {id: q, title: Q, kind: rating, scale: [1, 5], target: 4,"
        " score: {curve: linear, worst: 1, best: 5}, weight: 50}\ngrades:")
    path.write_text(text, encoding="utf-8")
    return path


def test_a_rating_of_someone_not_on_the_roster_is_counted_beside_a_roster_row_without_id(tmp_path: Path) -> None:
    """A Parquet roster is read where it lies, its rows without an id kept (and counted as
    `empty id`): such a row is no one, so a rating for `ZZZ` is still of an unknown appraisee."""
    path = _rated(tmp_path, "('A01'), ('A02'), (' ')", "A01,q,R1,4\nZZZ,q,R1,5\n")
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {(c.dataset, c.cause): c.count for c in found.quality} == {
        ("roster", "empty id"): 1, ("ratings", "unknown appraisee"): 1}


def test_a_rating_of_no_one_is_counted_as_of_an_unknown_appraisee(tmp_path: Path) -> None:
    path = _rated(tmp_path, "('A01'), ('A02')", "A01,q,R1,4\n\u3000,q,R1,5\n,q,R2,3\n")
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {(c.dataset, c.cause): c.count for c in found.quality} == {("ratings", "unknown appraisee"): 2}


def test_a_rosters_undeclared_team_and_manager_are_trimmed_as_its_ids(tmp_path: Path) -> None:
    """` M1` and `M1` are one manager, so one group row, declared or not."""
    path = scheme_over(tmp_path, HEADER + "T1,A01,2026-07-01 10:00,5\nT2,A02,2026-07-02 10:00,5\n",
                       roster="agent,team,manager\nA01,north ,M1\nA02,north, M1\u3000\n")
    text = path.read_text(encoding="utf-8").replace("key: agent}", "key: agent, team: team, manager: manager}")
    path.write_text(text, encoding="utf-8")
    found = measure(load_scheme(path), parse_period("2026-07"), groups=("team", "manager"))
    assert [(g.by, g.key, g.members, g.cells["n"].value) for g in found.groups] == [
        ("team", "north", 2, 2.0), ("manager", "M1", 2, 2.0)]


IDS_SCHEME = ("scheme: ids\nversion: 1\ntitle: Ids\nperiod: month\ntimezone: Asia/Shanghai\n"
              "roster: {source: csv, path: roster.csv, key: agent}\ndatasets:\n%s"
              "indicators:\n  - {id: n, title: N, measure: {dataset: %s, agg: count%s}, target: 1,"
              " score: {curve: linear, worst: 0, best: 2}, weight: 100}\ngrades: {A: 90, B: 0}\n")


def _undeclared(folder: Path, datasets: dict[str, str]) -> Path:
    """A scheme over Parquet files that declare no columns (`datasets`: name -> the rows' SQL)."""
    (folder / "roster.csv").write_text("agent\nA01\nA02\n", encoding="utf-8")
    connection = duckdb.connect()
    for name, rows in datasets.items():
        connection.execute(f"COPY ({rows}) TO '{folder / name}.parquet'")
    connection.close()
    return folder / "scheme.yaml"


def test_a_via_join_on_an_undeclared_appraisee_column_joins_its_padded_ids(tmp_path: Path) -> None:
    """`b` reaches its appraisee through `a` on `agent`, which is `a`'s appraisee (a text,
    trimmed): `b`'s undeclared `agent` is trimmed too, or `A01 ` would join nothing."""
    path = _undeclared(tmp_path, {
        "a": "SELECT * FROM (VALUES ('T1', 'A01 ', TIMESTAMP '2026-07-01 10:00'), "
             "('T2', 'A02\u3000', TIMESTAMP '2026-07-02 10:00')) AS t(id, agent, created)",
        "b": "SELECT * FROM (VALUES ('S1', 'A01 ', TIMESTAMP '2026-07-01 11:00'), "
             "('S2', 'A02\u3000', TIMESTAMP '2026-07-02 11:00'), ('S3', 'A02\u3000', TIMESTAMP '2026-07-03 11:00'))"
             " AS t(id, agent, created)"})
    path.write_text(IDS_SCHEME % (
        "  a: {source: parquet, path: a.parquet, key: id, appraisee: agent, period_by: created}\n"
        "  b: {source: parquet, path: b.parquet, key: id, via: {dataset: a, on: agent}, period_by: created}\n",
        "b", ""), encoding="utf-8")
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {key: cell.value for key, cell in found.cells.items()} == {("A01", "n"): 1.0, ("A02", "n"): 2.0}
    assert not found.quality


def test_a_repeat_looked_for_on_an_undeclared_appraisee_column_finds_its_padded_ids(tmp_path: Path) -> None:
    """`a`'s repeats are looked for in `b` by `agent`, `a`'s appraisee (trimmed): `b`'s
    undeclared `agent` is trimmed too, or the return would be missed without a word."""
    path = _undeclared(tmp_path, {
        "a": "SELECT * FROM (VALUES ('T1', 'A01 ', TIMESTAMP '2026-07-01 10:00')) AS t(id, agent, created)",
        "b": "SELECT * FROM (VALUES ('S1', 'A01 ', 'X', TIMESTAMP '2026-07-03 10:00'))"
             " AS t(id, agent, seller, created)"})
    path.write_text(IDS_SCHEME % (
        "  a: {source: parquet, path: a.parquet, key: id, appraisee: agent, period_by: created,"
        " repeats: {column: back, same: [agent], in: b, within_days: 7}}\n"
        "  b: {source: parquet, path: b.parquet, key: id, appraisee: seller, period_by: created}\n",
        "a", ", where: back"), encoding="utf-8")
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert found.cells[("A01", "n")].value == 1.0


def test_ids_are_texts_along_a_chain_of_via_joins_and_not_beyond(tmp_path: Path) -> None:
    rows = "SELECT * FROM (VALUES ('T1', 'A01', 'A01', TIMESTAMP '2026-07-01 10:00')) AS t(id, agent, other, created)"
    path = _undeclared(tmp_path, {"a": rows, "b": rows, "c": rows})
    path.write_text(IDS_SCHEME % (
        "  a: {source: parquet, path: a.parquet, key: id, appraisee: agent, period_by: created}\n"
        "  b: {source: parquet, path: b.parquet, key: id, via: {dataset: a, on: agent}, period_by: created}\n"
        "  c: {source: parquet, path: c.parquet, key: id, via: {dataset: b, on: agent}, period_by: created,"
        " columns: {id: text, agent: text, created: timestamp, other: text}}\n", "c", ""), encoding="utf-8")
    assert undeclared_ids(load_scheme(path)) == {"a": {"agent"}, "b": {"agent"}, "c": set()}


def test_an_undeclared_column_joined_to_a_declared_text_is_a_text(tmp_path: Path) -> None:
    """`b` (nothing declared) reaches `a` on `id`, which `a` declares a text (so trims): `b`'s ids
    written `T1 ` join it."""
    path = _undeclared(tmp_path, {
        "a": "SELECT * FROM (VALUES ('T1', 'A01', TIMESTAMP '2026-07-01 10:00')) AS t(id, agent, created)",
        "b": "SELECT * FROM (VALUES ('S1', 'T1 ', TIMESTAMP '2026-07-02 10:00'), "
             "('S2', '\u3000T1', TIMESTAMP '2026-07-03 10:00')) AS t(sid, id, created)"})
    path.write_text(IDS_SCHEME % (
        "  a: {source: parquet, path: a.parquet, key: id, appraisee: agent, period_by: created,"
        " columns: {id: text, agent: text, created: timestamp}}\n"
        "  b: {source: parquet, path: b.parquet, key: sid, via: {dataset: a, on: id}, period_by: created}\n",
        "b", ""), encoding="utf-8")
    assert undeclared_ids(load_scheme(path)) == {"a": set(), "b": {"id"}}
    found = measure(load_scheme(path), parse_period("2026-07"))
    assert {key: cell.value for key, cell in found.cells.items()} == {("A01", "n"): 2.0, ("A02", "n"): None}
