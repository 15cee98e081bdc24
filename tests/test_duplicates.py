"""Repeated keys (appraisal.engines.duplicates): the streaming form finds exactly the rows the
grouping reference form finds, or declines; `find` always agrees with the reference.

Rows are numbered in file order (`r`, and the table's rowid); a repeat is a row whose key an
earlier row has, and the first row of each key is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.engines import duplicates
from appraisal.engines.duplicates import RUN_HEAD, Repeats
from appraisal.sql.dialect import SPACES

Key = str | None


@contextmanager
def keyed_rows(keys: Sequence[Key]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding `src(k, r)`: one row per key, in order, `r` its place."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE src (k VARCHAR, r BIGINT)")
    if keys:
        connection.executemany("INSERT INTO src VALUES (?, ?)", [(k, i) for i, k in enumerate(keys)])
    try:
        yield connection
    finally:
        connection.close()


def outcome(connection: duckdb.DuckDBPyConnection, found: Repeats | None, into: str) -> tuple[object, ...] | None:
    if found is None:
        return None
    rows = [] if found.spaced else connection.execute(f"SELECT file_row FROM {into}").fetchall()
    dropped = sorted(r for (r,) in rows)
    return found.rows, found.examples, found.spaced, dropped


def by_rule(keys: Sequence[Key], as_text: bool = False) -> list[int]:
    """The rows to drop, by the rule itself: every row whose key an earlier row has."""
    seen: set[str] = set()
    dropped = []
    for i, k in enumerate(keys):
        if k is None or (as_text and k == ""):
            continue
        if k in seen:
            dropped.append(i)
        seen.add(k)
    return dropped


def both(keys: Sequence[Key], *, as_text: bool = False, row: str = "r") -> tuple[object, object, object]:
    """(streaming form or None, reference form, find) on the same rows."""
    with keyed_rows(keys) as connection:
        streamed = outcome(connection, duplicates.ordered(connection, "src", "k", row, "a", as_text=as_text), "a")
        reference = outcome(connection, duplicates.grouped(connection, "src", "k", row, "b", as_text=as_text), "b")
        found = outcome(connection, duplicates.find(connection, "src", "k", row, "c", as_text=as_text), "c")
    return streamed, reference, found


ids = st.integers(min_value=0, max_value=60).map(lambda i: f"T{i:03d}")
# a space at an end (the ASCII one, or Unicode's no-break and ideographic ones) or a tab, which
# typing keeps; and non-ASCII keys, which `edged` passes on to `trim`
any_keys = st.lists(st.one_of(ids, st.none(), st.sampled_from(
    ["", " T001", "T002 ", "T003\u3000", "\u00a0T004", "T005\t", "键01", "键01\u2003"])), max_size=40)


@st.composite
def mostly_rising(draw: st.DrawFn) -> list[Key]:
    """Keys as exports have them: rising, with some repeats of earlier keys and some empty cells."""
    rising = [f"T{i:04d}" for i in sorted(draw(st.sets(st.integers(0, 999), max_size=40)))]
    keys: list[Key] = list(rising)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(keys)))
        earlier = [k for k in keys[:at] if k is not None]
        keys.insert(at, draw(st.sampled_from(earlier)) if earlier and draw(st.booleans()) else None)
    return keys


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_keys)
def test_the_streaming_form_finds_what_grouping_finds_or_declines(keys: list[Key]) -> None:
    streamed, reference, found = both(keys)
    assert streamed is None or streamed == reference
    assert found == reference
    assert reference[3] == by_rule(keys)  # type: ignore[index]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mostly_rising())
def test_on_rising_keys_with_repeats_the_streaming_form_answers_as_grouping_does(keys: list[Key]) -> None:
    streamed, reference, _ = both(keys)
    assert streamed == reference
    assert reference[3] == by_rule(keys)  # type: ignore[index]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(any_keys, mostly_rising()))
def test_raw_text_keys_leave_out_empty_cells_and_stop_at_spaces_in_both_forms(keys: list[Key]) -> None:
    streamed, reference, found = both(keys, as_text=True)
    assert streamed is None or streamed == reference
    assert found == reference
    spaced = any(k is not None and k != k.strip(SPACES) for k in keys)
    assert reference[2] is spaced  # type: ignore[index]
    if not spaced:
        assert reference[3] == by_rule(keys, as_text=True)  # type: ignore[index]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mostly_rising())
def test_a_table_s_rowid_serves_as_the_row_number(keys: list[Key]) -> None:
    streamed, reference, _ = both(keys, row="rowid")
    assert streamed == reference


@pytest.mark.parametrize(
    ("keys", "dropped"),
    [
        (["A", "B", "C"], []),  # rising: nothing repeated, one pass
        (["A", "A", "B", "C"], [1]),  # a repeat at the start
        (["A", "B", "C", "A"], [3]),  # at the end
        (["A", "B", "C", "C"], [3]),  # the last key again
        (["A", None, "B", None, "A"], [4]),  # empty keys between
        (["A", "C", "B", "C"], [3]),  # a repeat that is no descent, in the run a descent starts
        (["B", "C", "D", "A", "B", "C", "D"], [4, 5, 6]),  # a run repeating the head of the file
    ],
)
def test_the_streaming_form_answers_for_files_in_key_order_with_repeats(keys: list[Key], dropped: list[int]) -> None:
    streamed, reference, _ = both(keys)
    assert streamed == reference
    assert reference[3] == dropped  # type: ignore[index]


def test_the_streaming_form_declines_a_run_whose_repeats_go_on_past_what_it_keeps() -> None:
    head = [f"K{i:02d}" for i in range(RUN_HEAD + 2)]
    keys = [*head, "A", *head]  # after the descent to A the whole head repeats: longer than the pass keeps
    streamed, reference, found = both(keys)
    assert streamed is None
    assert found == reference
    assert reference[3] == by_rule(keys)  # type: ignore[index]


def test_the_streaming_form_declines_rows_that_do_not_arrive_in_file_order() -> None:
    with keyed_rows(["A", "B", "A"]) as connection:
        connection.execute("CREATE VIEW shuffled AS SELECT * FROM src ORDER BY r DESC")
        assert duplicates.ordered(connection, "shuffled", "k", "r", "a") is None
        found = duplicates.find(connection, "shuffled", "k", "r", "b")
        assert (found.rows, found.examples) == (1, ("A",))
        assert connection.execute("SELECT file_row FROM b").fetchall() == [(2,)]


def test_the_streaming_form_leaves_no_working_table_behind() -> None:
    with keyed_rows(["A", "B", "A", "C"]) as connection:
        duplicates.ordered(connection, "src", "k", "r", "dropped")
        names = {name for (name,) in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert names == {"src", "dropped"}
