"""Names are unambiguous: one script per name, and no two names that look alike (Unicode TR39)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from appraisal.plugins import extensions
from appraisal.scheme.lint_names import _CONFUSABLE, mixed_scripts, script, skeleton
from appraisal.scheme.validation import validate_files

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "positive" / "schemes" / "minimal.yaml").read_text(encoding="utf-8")


def problems_of(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return [(p.path, p.message) for p in validate_files([path], extensions())]


def test_a_constant_that_looks_like_an_indicator_is_refused_where_it_is_declared(tmp_path):
    text = MINIMAL.replace("period: month", "period: month\nconstants: {rеsolved: 1000}")
    assert problems_of(tmp_path, text) == [(
        "constants.rеsolved",
        "constant 'rеsolved' looks like indicator 'resolved' (line 15): they differ in "
        "'е' (CYRILLIC SMALL LETTER IE, U+0435); rename one of them",
    )]


def test_a_name_mixing_latin_and_cyrillic_is_refused(tmp_path):
    text = MINIMAL.replace("status: text}", "status: text, nоte: text}")
    assert problems_of(tmp_path, text) == [(
        "datasets.tickets.columns.nоte",
        "column 'nоte' mixes Latin letters with Cyrillic 'о' (CYRILLIC SMALL LETTER O, U+043E); "
        "write a name in one script",
    )]


def test_latin_with_han_is_one_name(tmp_path):
    text = MINIMAL.replace("status: text}", "status: text, csat_满意度: number, ステータス_2: text}")
    assert problems_of(tmp_path, text) == []


def test_a_whole_name_in_another_script_that_looks_like_a_latin_one_is_refused(tmp_path):
    text = MINIMAL.replace("status: text}", "status: text, сарех: number, capex: number}")
    [(path, message)] = problems_of(tmp_path, text)
    assert path == "datasets.tickets.columns.capex"
    assert message.startswith(
        "column 'capex' looks like column 'сарех' (line 12): they differ in "
        "'с' (CYRILLIC SMALL LETTER ES, U+0441), 'а'")


def test_latin_look_alikes_are_refused_too(tmp_path):
    text = MINIMAL.replace("status: text}", "status: text, rn_count: integer, m_count: integer}")
    assert problems_of(tmp_path, text) == [(
        "datasets.tickets.columns.m_count",
        "column 'm_count' looks like column 'rn_count' (line 12): they differ in 'm' against 'rn'; rename one of them",
    )]


def test_a_full_width_name_is_refused_as_formulas_read_it_otherwise(tmp_path):
    text = MINIMAL.replace("status: text}", "status: text, ｃｏｓｔ: number}")
    assert problems_of(tmp_path, text) == [(
        "datasets.tickets.columns.ｃｏｓｔ",
        "column 'ｃｏｓｔ' is written with compatibility characters (full-width or styled letters), which formulas "
        "read as 'cost'; write 'cost'",
    )]


def test_the_same_name_in_two_places_is_not_a_look_alike(tmp_path):
    text = MINIMAL.replace("status: text}", "status: text, resolved: flag}")
    assert problems_of(tmp_path, text) == []


def test_keys_of_a_map_constant_are_compared_within_their_map(tmp_path):
    text = MINIMAL.replace("period: month",
                           "period: month\nconstants: {a: {lοgistics: 1, logistics: 2}, b: {logistics: 3}}")
    [(path, message)] = problems_of(tmp_path, text)
    assert (path, message) == ("constants.a.lοgistics", "key 'lοgistics' mixes Latin letters with Greek 'ο' "
                               "(GREEK SMALL LETTER OMICRON, U+03BF); write a name in one script")


LATIN_FOR: dict[str, list[str]] = {}  # a Latin letter -> the Cyrillic and Greek letters that pass for it
for _look_alike, _prototype in _CONFUSABLE.items():
    if (len(_prototype) == 1 and _prototype.isascii() and _prototype.isalpha()
            and script(_look_alike) in ("Cyrillic", "Greek")
            and unicodedata.normalize("NFKC", _look_alike) == _look_alike):  # others are refused as not NFKC
        LATIN_FOR.setdefault(_prototype, []).append(_look_alike)


@st.composite
def look_alike_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A Latin name and the same name with some letters swapped for Cyrillic or Greek look-alikes."""
    name = draw(st.text(st.sampled_from(sorted(LATIN_FOR)), min_size=1, max_size=12))
    swapped = "".join(draw(st.sampled_from(LATIN_FOR[ch])) if draw(st.booleans()) else ch for ch in name)
    return name, swapped


@given(look_alike_pairs())
def test_a_name_with_letters_swapped_for_look_alikes_has_the_same_skeleton(pair):
    name, swapped = pair
    assert skeleton(name) == skeleton(swapped)


@given(look_alike_pairs())
def test_a_name_with_some_letters_swapped_mixes_scripts(pair):
    name, swapped = pair
    assert mixed_scripts(name) is None
    if swapped.isascii() or not any(ch.isascii() for ch in swapped):
        return  # nothing or everything swapped: one script
    assert mixed_scripts(swapped) is not None or {script(ch) for ch in swapped} == {"Cyrillic", "Greek", "Latin"}
