"""The remembered JSON Schema passes: used only for the very same input, never for a failure."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import appraisal
from appraisal import plugins
from appraisal.errors import SchemeError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme import validation
from appraisal.scheme.validation import validate_files

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "positive" / "schemes" / "minimal.yaml").read_text(encoding="utf-8")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("APPRAISAL_CACHE_DIR", str(folder))
    monkeypatch.delenv("APPRAISAL_VALIDATION_CACHE", raising=False)
    return folder


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The files the JSON Schema stage actually checked, in order."""
    seen: list[str] = []
    real = validation.check_schema

    def counting(document):  # type: ignore[no-untyped-def]
        seen.append(Path(document.file).name)
        return real(document)

    monkeypatch.setattr(validation, "check_schema", counting)
    yield seen


def write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def markers(cache: Path) -> list[str]:
    folder = cache / "schema-passed"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_pass_is_remembered_and_the_same_scheme_is_not_checked_again(tmp_path, cache, checks):
    path = write(tmp_path / "a", MINIMAL)
    first = load_scheme(path)
    assert checks == ["s.yaml"] and len(markers(cache)) == 1
    second = load_scheme(path)
    assert checks == ["s.yaml"]  # the schema stage was skipped ...
    assert second == first  # ... and the scheme is the same


def test_the_same_text_in_another_place_is_the_same_input(tmp_path, cache, checks):
    load_scheme(write(tmp_path / "a", MINIMAL))
    load_scheme(write(tmp_path / "b", MINIMAL, "other.yaml"))
    assert checks == ["s.yaml"] and len(markers(cache)) == 1


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text + "\n# a comment changes the text, not the data\n",
        lambda text: text.replace("target: 100", "target: 101"),
        lambda text: text.replace("target: 100", "target: 100.0"),  # a number's type is data too
        lambda text: text.replace("title: Minimal", "title: 'Minimal'") + " ",
    ],
)
def test_any_change_to_the_scheme_text_is_checked_afresh(tmp_path, cache, checks, edit):
    path = write(tmp_path, MINIMAL)
    load_scheme(path)
    path.write_text(edit(MINIMAL), encoding="utf-8")
    load_scheme(path)
    assert checks == ["s.yaml", "s.yaml"] and len(markers(cache)) == 2


def test_a_change_to_an_extended_base_is_checked_afresh(tmp_path, cache, checks):
    base = write(tmp_path, MINIMAL, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\ntitle: Child\n", "child.yaml")
    load_scheme(child)
    load_scheme(child)
    assert checks == ["child.yaml"]
    base.write_text(MINIMAL.replace("target: 100", "target: 90"), encoding="utf-8")
    load_scheme(child)
    assert checks == ["child.yaml", "child.yaml"]


def test_a_failure_is_never_remembered(tmp_path, cache, checks):
    path = write(tmp_path, MINIMAL.replace("period: month", "period: monthly"))
    for _ in range(2):
        with pytest.raises(SchemeError, match="period"):
            load_scheme(path)
    assert checks == ["s.yaml", "s.yaml"] and markers(cache) == []


def test_a_scheme_that_passes_the_schema_but_not_the_lint_is_reported_every_time(tmp_path, cache, checks):
    path = write(tmp_path, MINIMAL.replace("weight: 100", "weight: 90"))
    for _ in range(2):
        [problem] = validate_files([path], extensions())
        assert "weight" in problem.message
    assert checks == ["s.yaml"]  # the schema pass is remembered; the lint runs every time


@pytest.mark.parametrize(
    "change",
    [
        "schema",
        "appraisal version",
        "jsonschema version",
        "validation code",
        "plugins",
    ],
)
def test_a_change_to_what_checks_the_scheme_is_checked_afresh(tmp_path, cache, checks, monkeypatch, change):
    path = write(tmp_path / "s", MINIMAL)
    load_scheme(path)
    if change == "schema":
        monkeypatch.setattr(validation, "_schema_digest", lambda: "another schema")
    elif change == "appraisal version":
        monkeypatch.setattr(appraisal, "__version__", "99.0")
    elif change == "jsonschema version":
        real = importlib.metadata.version
        monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0" if name == "jsonschema" else real(name))
    elif change == "validation code":
        source = tmp_path / "validation.py"
        source.write_bytes(Path(validation.__file__).read_bytes() + b"\n# changed\n")
        monkeypatch.setattr(validation, "__file__", str(source))
    else:
        write(tmp_path / "plugins", "x = 1\n", "extra.py")
        monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "extra")
        plugins.set_plugins_dir(tmp_path / "plugins")
    load_scheme(path)
    assert checks == ["s.yaml", "s.yaml"] and len(markers(cache)) == 2


def test_the_cache_can_be_turned_off(tmp_path, cache, checks, monkeypatch):
    path = write(tmp_path, MINIMAL)
    monkeypatch.setenv("APPRAISAL_VALIDATION_CACHE", "0")
    load_scheme(path)
    load_scheme(path)
    assert checks == ["s.yaml", "s.yaml"] and not cache.exists()


def test_a_cache_that_cannot_be_written_is_not_used(tmp_path, cache, checks, monkeypatch):
    path = write(tmp_path, MINIMAL)
    cache.write_text("a file where the folder should be", encoding="utf-8")
    load_scheme(path)
    load_scheme(path)
    assert checks == ["s.yaml", "s.yaml"]


def test_plugins_that_fail_to_load_leave_the_errors_as_they_were(tmp_path, cache, checks, monkeypatch):
    """The plugin set is part of the key; when it cannot be known the cache is skipped, and the
    schema problems still come first, as without the cache."""
    write(tmp_path / "plugins", "raise RuntimeError('broken on purpose')\n", "broken.py")
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "broken")
    plugins.set_plugins_dir(tmp_path / "plugins")
    with pytest.raises(SchemeError, match="period"):
        load_scheme(write(tmp_path, MINIMAL.replace("period: month", "period: monthly")))
    assert markers(cache) == []


def test_the_cache_stays_small(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(validation, "_CACHE_MAX_ENTRIES", 4)
    for n in range(6):
        load_scheme(write(tmp_path, MINIMAL.replace("target: 100", f"target: {100 + n}")))
    assert 0 < len(markers(cache)) <= 4


def test_the_default_cache_folder_follows_the_platform_conventions(monkeypatch, tmp_path):
    monkeypatch.delenv("APPRAISAL_CACHE_DIR", raising=False)
    monkeypatch.delenv("APPRAISAL_VALIDATION_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert validation.cache_dir() == tmp_path / "appraisal"
    monkeypatch.delenv("XDG_CACHE_HOME")
    if os.name != "nt":
        monkeypatch.setenv("HOME", str(tmp_path))
        assert validation.cache_dir() == tmp_path / ".cache" / "appraisal"
    for off in ("0", "off", "false", "no", "OFF"):
        monkeypatch.setenv("APPRAISAL_VALIDATION_CACHE", off)
        assert validation.cache_dir() is None
