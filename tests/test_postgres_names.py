"""PostgreSQL keeps only the first 63 bytes of a name: every longer quoted name the statements
use is written short (`appraisal.sql.postgres.fitted`), the same way each time, and a result's
columns get their long names back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from appraisal.sql.dialect import quote_identifier
from appraisal.sql.postgres import NAME_BYTES, fitted, short_name

names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=90)


@given(names)
def test_a_short_name_fits_and_a_fitting_name_stays(name: str) -> None:
    short = short_name(name)
    assert len(short.encode("utf-8")) <= NAME_BYTES
    assert (short == name) == (len(name.encode("utf-8")) <= NAME_BYTES)


@given(names, names)
def test_two_long_names_stay_two(one: str, other: str) -> None:
    assert (short_name(one) == short_name(other)) == (one == other)


@given(st.lists(names, min_size=1, max_size=4), st.text(max_size=80))
def test_quoted_names_are_fitted_and_texts_left_alone(found: list[str], text: str) -> None:
    literal = "'" + text.replace("'", "''") + "'"
    sql = "SELECT " + ", ".join(f"{literal} AS {quote_identifier(n)}" for n in found)
    written, long = fitted(sql)
    assert written == "SELECT " + ", ".join(f"{literal} AS {quote_identifier(short_name(n))}" for n in found)
    assert {long.get(short_name(n), short_name(n)) for n in found} == set(found)
