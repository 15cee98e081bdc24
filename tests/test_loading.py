"""Loading: safe, line-aware YAML with the YAML 1.1 traps closed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appraisal.scheme.loading import MAX_BYTES, LoadError, load_file, load_text


def first_error(text: str) -> str:
    with pytest.raises(LoadError) as caught:
        load_text(text, "s.yaml")
    return caught.value.problems[0].render()


def test_every_value_keeps_its_line_and_column():
    doc = load_text("a:\n  b: [1, 2]\n  c: x\n", "s.yaml")
    assert (doc.positions[("a", "b", 1)].line, doc.positions[("a", "b", 1)].column) == (2, 10)
    assert doc.key_positions[("a", "c")].line == 3


@pytest.mark.parametrize("word", ["no", "No", "NO", "off", "Off", "N", "n", "y", "Y", "yes", "on"])
def test_yaml11_booleans_stay_text(word):
    assert load_text(f"flag: {word}\n").data == {"flag": word}


def test_sexagesimal_numbers_stay_text():
    assert load_text("start: 9:30\n").data == {"start": "9:30"}


def test_dates_stay_strings():
    assert load_text("since: 2026-09-01\nat: 2026-09-01 10:00:00\n").data == {
        "since": "2026-09-01",
        "at": "2026-09-01 10:00:00",
    }


def test_core_scalars_resolve():
    data = load_text("a: true\nb: 12\nc: 1.5\nd: ~\ne: 0x1f\nf: -3e2\ng: .inf\n").data
    assert data == {"a": True, "b": 12, "c": 1.5, "d": None, "e": 31, "f": -300.0, "g": float("inf")}


def test_quoted_numbers_stay_text():
    assert load_text("a: '12'\n").data == {"a": "12"}


def test_duplicate_key_names_both_lines():
    assert first_error("a: 1\nb: 2\na: 3\n") == "s.yaml:3:1: a: duplicate key 'a' (first defined on line 1)"


def test_python_tags_are_refused():
    message = first_error("a: !!python/object/apply:os.system ['echo hi']\n")
    assert message == "s.yaml:1:4: a: the tag !!python/object/apply:os.system is not allowed; remove it"


def test_merge_keys_are_refused():
    assert "merge keys (<<) are not supported" in first_error("base: &b {x: 1}\nother:\n  <<: *b\n")


def test_alias_bomb_is_refused():
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 10) + "]" for i in range(1, 7)]
    assert "expands to more than" in first_error("\n".join(lines) + "\n")


def test_recursive_alias_is_refused():
    assert "refers to the list or mapping that contains it" in first_error("a: &a [1, *a]\n")


def test_aliases_within_limits_are_expanded():
    assert load_text("a: &x {k: 1}\nb: *x\n").data == {"a": {"k": 1}, "b": {"k": 1}}


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")])
def test_flow_nesting_deeper_than_the_limit_is_refused_before_python_recurses(opening, closing):
    text = "a: " + opening * 500 + closing * 500 + "\n"
    assert first_error(text).endswith(": values are nested more than 64 levels deep")


def test_nesting_within_the_limit_loads():
    value = load_text("a: " + "[" * 60 + "1" + "]" * 60 + "\n").data["a"]
    for _ in range(59):
        [value] = value
    assert value == [1]


@pytest.mark.parametrize("character, named", [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\x07", "U+0007")])
def test_a_control_character_is_refused_by_its_code_point_and_located(character, named):
    assert first_error(f"a: 1\nb: x{character}y\n") == (
        f"s.yaml:2:5: the character {named} is not allowed in a YAML file; remove it")


def test_syntax_error_has_a_location():
    assert first_error("a: [1, 2\nb: 3\n").startswith("s.yaml:2:")


def test_empty_file_is_refused():
    assert first_error("") == "s.yaml:1:1: file is empty"


def test_oversized_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: '" + "x" * MAX_BYTES + "'\n")
    with pytest.raises(LoadError) as caught:
        load_file(big)
    assert "scheme files are limited to" in caught.value.problems[0].message


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(LoadError) as caught:
        load_file(tmp_path / "nope.yaml")
    assert caught.value.problems[0].message == "file not found"


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("标题: 售后".encode("gb18030"))
    with pytest.raises(LoadError) as caught:
        load_file(path)
    assert "not UTF-8" in caught.value.problems[0].message


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeff标题: 售后\n".encode())
    assert load_file(path).data == {"标题": "售后"}


_keys = st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=1, max_size=8)
_scalars = st.one_of(st.integers(-10**6, 10**6), st.booleans(), st.none(), _keys)


@given(st.dictionaries(_keys, st.one_of(_scalars, st.lists(_scalars, max_size=4)), max_size=6))
def test_json_compatible_data_round_trips(data):
    import json

    text = json.dumps(data, ensure_ascii=False)
    assert load_text(text).data == data
