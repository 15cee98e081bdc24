"""A blank cell (no value, or nothing but spaces) is told apart cheaply and exactly as `trim` would.

`appraisal.engines.coercion.blank` runs DuckDB's `trim` only on the texts that could be blank (empty,
beginning below '!' or beyond ASCII); it must say what `nullif(trim(x), '') IS NULL` says for every
text, the Unicode spaces `trim` removes (no-break, ideographic, em space) and the characters it keeps
(tab, newline, zero-width space) included.
"""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.engines.coercion import blank, present

# What trim removes and what it keeps, the ASCII edges of the shortcut ('!', DEL, U+0080) and letters.
TRICKY = " \t\n\r\x0b\x0c\x1f!~\x7f\x80\x85\xa0\u1680\u2003\u200b\u3000\ufeffaZ0é中"


def _verdicts(texts: list[str | None], expression: str) -> list[bool]:
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE t AS SELECT unnest($1::VARCHAR[]) AS x, generate_subscripts($1::VARCHAR[], 1) AS i", [texts])
    return [row[0] for row in connection.execute(f"SELECT {expression} FROM t ORDER BY i").fetchall()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=TRICKY, max_size=4), st.text(max_size=6)), min_size=1,
                max_size=40))
def test_blank_says_what_trimming_says_for_every_text(texts):
    assert _verdicts(texts, blank("x")) == _verdicts(texts, "nullif(trim(x), '') IS NULL")


def test_a_text_of_unicode_spaces_is_blank_and_a_tab_is_not():
    texts = ["\u3000", "\u00a0 \u2003", "", "   ", "\t", "\u200b", " a ", None]
    assert _verdicts(texts, blank("x")) == [True, True, True, True, False, False, False, True]


def test_a_cell_is_present_when_it_is_not_blank():
    texts = [" 7 ", "\u00a0", None, "x"]
    assert _verdicts(texts, present("x", "VARCHAR")) == [True, False, False, True]
    assert _verdicts(texts, present("x", "INTEGER")) == [True, True, False, True]
