"""Names that cannot be told apart: one script per name, and no two names that look alike.

A constant `rеsolved` spelled with a Cyrillic `е` beside an indicator `resolved` validated, and
a formula copied from elsewhere silently used the constant. Unicode TR39 (security mechanisms)
gives the two checks done here over every name a scheme declares (indicator ids, constants,
datasets, columns, the roster's columns, repeat columns, map keys within their map, grades):

* a name is written in one script: its letters are all Latin, or all Cyrillic, ..., or mix only
  as TR39's "highly restrictive" profile allows (Latin with Han, Hiragana and Katakana; with
  Han and Bopomofo; with Han and Hangul), so `csat_满意度` is fine and `rеsolved` is not;
* no two different names have the same skeleton (TR39's `skeleton`: NFKC here, as Python
  itself reads names in formulas so, then NFD, then each character replaced by the one it is
  confused with). The table is TR39's confusables.txt for the letters of Latin, Cyrillic and
  Greek that look like Latin ones, and the Latin look-alikes (`0`/`O`, `1`/`l`/`I`, `m`/`rn`);
  no well-kept library offers skeletons without a compiled ICU;
* a name is in NFKC form: `ｒesolved` (full-width) is read in a formula as `resolved`, so a
  declared name written so could never be named at all.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from appraisal.scheme.loading import KeyPath

# TR39 confusables.txt (MA), the prototypes of the letters that pass for Latin ones.
_CONFUSABLE = {
    "0": "O", "1": "l", "I": "l", "m": "rn", "|": "l", "ı": "i", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ɪ": "i",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a", "γ": "y", "ι": "i", "ν": "v", "ο": "o", "ρ": "p",
    "σ": "o", "υ": "u", "ϲ": "c", "ϳ": "j", "Ϲ": "C", "ϱ": "p",
    # Cyrillic
    "Ѕ": "S", "І": "l", "Ј": "J", "А": "A", "В": "B", "Е": "E", "З": "3", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ь": "b", "а": "a", "б": "6", "г": "r",
    "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ѡ": "w",
    "Ѵ": "V", "ѵ": "v", "Ү": "Y", "ү": "y", "һ": "h", "Ӏ": "l", "ӏ": "l", "ԁ": "d", "ԛ": "q", "ԝ": "w",
}

# Scripts that may share a name (TR39's highly restrictive profile); any one script alone may.
_TOGETHER = ({"Latin", "Han", "Hiragana", "Katakana"}, {"Latin", "Han", "Bopomofo"}, {"Latin", "Han", "Hangul"})
_SCRIPT_WORDS = {"CJK": "Han", "IDEOGRAPHIC": "Han"}


def skeleton(name: str) -> str:
    """TR39's skeleton of `name`: two names with one skeleton look alike. The table is applied
    before NFKC too, as NFKC turns some look-alikes (the lunate sigma `Ϲ`) into other letters."""
    def swap(text: str) -> str:
        return "".join(_CONFUSABLE.get(ch, ch) for ch in unicodedata.normalize("NFD", text))

    return unicodedata.normalize("NFD", swap(unicodedata.normalize("NFKC", swap(name))))


def script(ch: str) -> str | None:
    """The script of a letter from its Unicode name (`CYRILLIC SMALL LETTER IE`: Cyrillic);
    None for what belongs to every script: digits, `_`, marks."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    word = unicodedata.name(ch, "UNKNOWN").split()[0].split("-")[0]
    return _SCRIPT_WORDS.get(word, word.title())


def _letter(ch: str) -> str:
    return f"{ch!r} ({unicodedata.name(ch, 'an unnamed character')}, U+{ord(ch):04X})"


def mixed_scripts(name: str) -> str | None:
    """Why `name` mixes scripts it should not, or None."""
    found: dict[str, str] = {}
    for ch in unicodedata.normalize("NFKC", name):
        if (kind := script(ch)) is not None:
            found.setdefault(kind, ch)
    if len(found) < 2 or any(set(found) <= allowed for allowed in _TOGETHER):
        return None
    first, *others = sorted(found, key=lambda kind: name.index(found[kind]) if found[kind] in name else 0)
    return f"mixes {first} letters with {', '.join(f'{kind} {_letter(found[kind])}' for kind in others)}"


def _differences(name: str, other: str) -> str:
    """Where two look-alike names differ: their letters beyond ASCII, named, or else the parts
    that differ (`'m' against 'rn'`)."""
    odd = [ch for ch in dict.fromkeys(name + other) if ord(ch) > 127 and (ch not in name or ch not in other)]
    if odd:
        return ", ".join(_letter(ch) for ch in odd)
    parts = difflib.SequenceMatcher(None, name, other, autojunk=False).get_opcodes()
    return ", ".join(f"{name[a:b]!r} against {other[c:d]!r}" for tag, a, b, c, d in parts if tag != "equal")


def declared_names(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, bool, str, str]]:
    """(key path, whether the name is a key, what it names, the name) of every declared name."""
    for i, spec in enumerate(data.get("indicators", [])):
        if isinstance(spec, dict) and isinstance(spec.get("id"), str):
            yield ("indicators", i, "id"), False, "indicator", spec["id"]
    for name in data.get("constants", {}):
        yield ("constants", name), True, "constant", name
    for name, spec in data.get("datasets", {}).items():
        yield ("datasets", name), True, "dataset", name
        for column in spec.get("columns", {}):
            yield ("datasets", name, "columns", column), True, "column", column
        if isinstance(spec.get("repeats"), dict) and "column" in spec["repeats"]:
            yield ("datasets", name, "repeats", "column"), False, "column", spec["repeats"]["column"]
    roster = data.get("roster")
    if isinstance(roster, dict):
        for column in roster.get("columns", {}):
            yield ("roster", "columns", column), True, "roster column", column
    grades = data.get("grades")
    if isinstance(grades, dict):
        for grade in grades:
            yield ("grades", grade), True, "grade", grade
    elif isinstance(grades, list):
        for i, band in enumerate(grades):
            yield ("grades", i, "grade"), False, "grade", band["grade"]


def name_problems(
    data: Mapping[str, Any], line_of: Callable[[KeyPath, bool], int | None]
) -> list[tuple[KeyPath, bool, str]]:
    """(key path, whether at the key, message) for every name that is not in NFKC form, looks like
    another name, or mixes scripts; `line_of(path, key)` gives the line a name is on."""
    problems = _among(list(declared_names(data)), line_of)
    for name, value in data.get("constants", {}).items():
        if isinstance(value, dict):  # a map's keys are told apart from each other only
            problems += _among([(("constants", name, key), True, "key", key) for key in value], line_of)
    return problems


def _among(
    names: list[tuple[KeyPath, bool, str, str]], line_of: Callable[[KeyPath, bool], int | None]
) -> list[tuple[KeyPath, bool, str]]:
    problems: list[tuple[KeyPath, bool, str]] = []
    seen: dict[str, tuple[KeyPath, bool, str, str]] = {}
    for path, key, what, name in names:
        normal = unicodedata.normalize("NFKC", name)
        if normal != name:
            problems.append((path, key, f"{what} {name!r} is written with compatibility characters (full-width or "
                                        f"styled letters), which formulas read as {normal!r}; write {normal!r}"))
            continue
        twin_path, twin_key, twin_what, twin = seen.setdefault(skeleton(name), (path, key, what, name))
        if twin != name and not any(done == twin_path for done, _, _ in problems):  # one problem per pair
            line = line_of(twin_path, twin_key)
            where = f" (line {line})" if line is not None else ""
            problems.append((path, key, f"{what} {name!r} looks like {twin_what} {twin!r}{where}: they differ in "
                                        f"{_differences(name, twin)}; rename one of them"))
        elif (why := mixed_scripts(name)) is not None:
            problems.append((path, key, f"{what} {name!r} {why}; write a name in one script"))
    return problems
