"""Scheme validation: syntax, then JSON Schema, then the semantic lint.

Every problem of every file is collected before anything is reported, each with file, line,
key path and one plain sentence. A file that does not load (YAML syntax, `extends`) goes no
further. The parts of a file that pass the schema are linted even when other parts fail it, so
one run shows every problem; the parts that fail are set aside whole, and the lint never
reports a follow-on of their mistakes (see `schema_parts`). The data paths of what passed are
checked against the data roots (see `data_roots`).

The JSON Schema stage remembers what passed: importing jsonschema and building its validator
takes some 60 ms of every command that loads a scheme (a tenth of `appraisal measure` on a
million rows), and most runs check a scheme that already passed. A pass is an empty marker file
in the user's cache folder, named by the SHA-256 of everything the outcome depends on: the
resolved document's data (after `extends` and `strategy`), the scheme's text, the schema file,
this module's source, the versions of appraisal, Python, jsonschema and referencing, and the
loaded plugins. Any change to one of them is a different name, so a stale pass can never be
found; a failure is never remembered, so problems are always reported afresh. The syntax stage
and the semantic lint run every time. `APPRAISAL_VALIDATION_CACHE=0` turns the cache off;
`APPRAISAL_CACHE_DIR` moves it (default: `$XDG_CACHE_HOME/appraisal`, `~/.cache/appraisal`;
`%LOCALAPPDATA%` on Windows).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import appraisal
from appraisal.errors import PluginError, Problem, SchemeError
from appraisal.scheme.building import build_scheme
from appraisal.scheme.data_roots import data_path_problems
from appraisal.scheme.extending import load_resolved
from appraisal.scheme.lint import lint_document
from appraisal.scheme.loading import Document, KeyPath, LoadError
from appraisal.scheme.schema_parts import passed_parts
from appraisal.scheme.strategies import apply_strategy
from appraisal.suggestions import suggest

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from appraisal.plugins import Extensions
    from appraisal.scheme.model import Scheme

_TYPE_WORDS = {
    "string": "a text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping of keys to values",
    "array": "a list",
    "null": "nothing",
}


def schema_path() -> Path:
    """The published JSON Schema file (editors can point `$schema` at it)."""
    return Path(str(resources.files("appraisal.scheme") / "scheme.schema.json"))


@lru_cache(maxsize=1)
def scheme_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


@lru_cache(maxsize=1)
def _schema_digest() -> str:
    return hashlib.sha256(schema_path().read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # heavy (about 60 ms): only when a scheme is not remembered

    return Draft202012Validator(scheme_schema())


def validate_files(paths: Iterable[Path | str], extensions: Extensions) -> list[Problem]:
    """Every problem in the given scheme files, in file and line order."""
    try:
        load_schemes(paths, extensions)
    except SchemeError as exc:
        return exc.problems
    return []


def load_schemes(paths: Iterable[Path | str], extensions: Extensions, *, engine: str | None = None) -> list[Scheme]:
    """Load, check and build every scheme; raise one `SchemeError` listing all problems.

    `extensions` are the plugins' packs (where `extends` finds a named base), functions,
    sources and custom indicators (what the lint accepts), and the plugins themselves (part of
    the cache's key); `engine`: also check that every plugin the schemes use runs there."""
    problems: list[Problem] = []
    checked: list[tuple[Document, Any]] = []
    for path in paths:
        try:
            document = apply_strategy(load_resolved(path, extensions))
        except LoadError as exc:
            problems.extend(exc.problems)
            continue
        schema_problems = _check_schema_remembered(document, extensions)
        if schema_problems:
            problems.extend(schema_problems)
            problems.extend(_lint_passed_parts(document, extensions))
            continue
        lint_problems, parsed = lint_document(document, extensions.functions, extensions.sources,
                                              indicators=extensions.indicators, engine=engine)
        lint_problems += data_path_problems(document)
        if lint_problems:
            problems.extend(lint_problems)
            continue
        checked.append((document, parsed))
    if problems:
        raise SchemeError(problems)
    return [build_scheme(document, parsed) for document, parsed in checked]


def _lint_passed_parts(document: Document, extensions: Extensions) -> list[Problem]:
    """The lint's problems of the parts of `document` that passed the schema (see
    `schema_parts`), so that one `validate` shows every problem of a file."""
    failed = [path for path, _ in _schema_failures(document)]
    found = passed_parts(document, failed, scheme_schema().get("required", []))
    if found is None:
        return []
    passed, set_aside = found
    try:
        problems, _ = lint_document(passed, extensions.functions, extensions.sources, set_aside=set_aside,
                                    indicators=extensions.indicators)
    except PluginError:  # the lint needs the plugins; their error comes once the schema's are fixed
        return []
    return problems + data_path_problems(passed)


def load_scheme(path: Path | str, extensions: Extensions) -> Scheme:
    """One scheme, checked; raise `SchemeError` if it has any problem."""
    return load_schemes([path], extensions)[0]


def check_schema(document: Document) -> list[Problem]:
    """JSON Schema problems of one document, translated into plain sentences."""
    return _unique(_drop_explained_missing([problem for _, problem in _schema_failures(document)]))


def _schema_failures(document: Document) -> list[tuple[KeyPath, Problem]]:
    """Every schema problem with the key path of the value that failed (see `schema_parts`)."""
    failures: list[tuple[KeyPath, Problem]] = []
    for path, number in _non_finite(document.data, ()):
        shown = ".nan" if math.isnan(number) else ("-.inf" if number < 0 else ".inf")
        failures.append((path, document.problem(path, f"expected a finite number, found {shown}")))
    said = {path for path, _ in failures}  # `must be at most 100, found inf` would add nothing
    for error in _validator().iter_errors(document.data):
        if tuple(error.absolute_path) not in said:
            # A name refused by `propertyNames` fails the entry it names, not the whole mapping.
            named = (error.instance,) if "propertyNames" in error.relative_schema_path else ()
            where = (*error.absolute_path, *named)
            failures.extend((where, problem) for problem in _translate(document, error))
    return failures


def _non_finite(value: Any, path: KeyPath) -> Iterable[tuple[KeyPath, float]]:
    """Where the data holds .nan or .inf: JSON Schema counts them as numbers, no rule can use them
    (a weight of .nan passed and then failed the run). Extension keys (x-...) are not looked at."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not (isinstance(key, str) and key.startswith("x-")):
                yield from _non_finite(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_finite(item, (*path, i))


# --- remembering passes (see the module docstring) -------------------------------------------

CACHE_ENV = "APPRAISAL_VALIDATION_CACHE"
CACHE_DIR_ENV = "APPRAISAL_CACHE_DIR"
_CACHE_OFF = ("0", "off", "false", "no")
_CACHE_FOLDER = "schema-passed"
_CACHE_MAX_ENTRIES = 2000  # beyond this, a new pass prunes the older half
_CACHE_FORMAT = "appraisal schema pass 1"


def _check_schema_remembered(document: Document, extensions: Extensions) -> list[Problem]:
    """`check_schema(document)`, skipped when this exact input passed before."""
    marker = _pass_marker(document, extensions)
    if marker is not None and marker.is_file():
        return []
    problems = check_schema(document)
    if not problems and marker is not None:
        _remember(marker)
    return problems


def cache_dir() -> Path | None:
    """The user's cache folder for appraisal; None when the cache is off or there is none."""
    if os.environ.get(CACHE_ENV, "").strip().lower() in _CACHE_OFF:
        return None
    chosen = os.environ.get(CACHE_DIR_ENV)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None)
    if base:
        return Path(base) / "appraisal"
    try:
        return Path.home() / ".cache" / "appraisal"
    except RuntimeError:  # no home folder
        return None


def _pass_marker(document: Document, extensions: Extensions) -> Path | None:
    """The marker file that says this document passed this schema; None: do not remember."""
    folder = cache_dir()
    if folder is None:
        return None
    key = _pass_key(document, extensions)
    return None if key is None else folder / _CACHE_FOLDER / key


def _pass_key(document: Document, extensions: Extensions) -> str | None:
    """SHA-256 of everything the JSON Schema stage's outcome depends on; None if unknown."""
    try:
        data = json.dumps(document.data, separators=(",", ":"))
        libraries = [metadata.version("jsonschema"), metadata.version("referencing")]
        loaded = _plugin_set(extensions)
        source = Path(__file__).read_bytes()
        schema = _schema_digest()
    except (TypeError, ValueError, OSError, metadata.PackageNotFoundError):
        return None
    if loaded is None:
        return None
    digest = hashlib.sha256()
    for part in (_CACHE_FORMAT, appraisal.__version__, sys.version, *libraries, schema,
                 hashlib.sha256(source).hexdigest(), loaded, document.digest, data):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _plugin_set(extensions: Extensions) -> str | None:
    """The loaded plugins, name, version and origin; None when they cannot be loaded (the lint
    reports that, after the schema check as ever)."""
    try:
        found = extensions.plugins
    except Exception:  # any failure here only means: do not use the cache
        return None
    return json.dumps([[p.name, p.version, p.source] for p in found])


def _remember(marker: Path) -> None:
    """Write the pass marker; a cache that cannot be written is simply not used."""
    try:
        marker.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        marker.parent.mkdir(exist_ok=True, mode=0o700)
        _prune(marker.parent)
        marker.touch()
    except OSError:
        pass


def _prune(folder: Path) -> None:
    """Keep the cache small: past `_CACHE_MAX_ENTRIES` markers, drop the older half."""
    with os.scandir(folder) as entries:
        found = [entry for entry in entries if entry.is_file()]
    if len(found) < _CACHE_MAX_ENTRIES:
        return
    aged = []
    for entry in found:
        try:
            aged.append((entry.stat().st_mtime, entry.path))
        except OSError:  # removed meanwhile by another run
            continue
    for _, path in sorted(aged)[: len(aged) // 2]:
        try:
            os.unlink(path)
        except OSError:
            continue


def _drop_explained_missing(problems: list[Problem]) -> list[Problem]:
    """A misspelled key also leaves its right spelling missing; report only the misspelling."""
    suggested = {
        (p.path.rsplit(".", 1)[0] if "." in p.path else "", p.message.split("did you mean ")[1].rstrip("?"))
        for p in problems
        if p.message.startswith("unknown key") and "did you mean" in p.message
    }
    return [
        p
        for p in problems
        if not (p.message.startswith("missing required key")
                and (p.path, p.message.removeprefix("missing required key ")) in suggested)
    ]


def _unique(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.line or 0, p.column or 0, p.path, p.message))


_SHOWN = 40  # characters of a text quoted back in a message


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):  # cut: a file that is not a scheme at all must not be echoed whole
        return f"the text {value!r}" if len(value) <= _SHOWN else f"the text {value[:_SHOWN]!r}..."
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _expected(types: str | list[str]) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_WORDS.get(name, name) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _translate(document: Document, error: ValidationError) -> list[Problem]:
    path: KeyPath = tuple(error.absolute_path)
    kind = error.validator
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}

    if "propertyNames" in error.relative_schema_path:
        what = schema.get("description", "a name")
        return [document.problem((*path, value), f"{value!r} is not a valid key here: expected {what}", key=True)]
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        out = []
        for key in value:
            if key in allowed or any(re.search(pattern, key) for pattern in patterns):
                continue
            near = suggest(key, allowed)
            hint = f"did you mean {near!r}?" if near else f"expected one of: {', '.join(allowed)}"
            if "^x-" in patterns and not near:
                hint += " (keys starting with x- are free for extensions)"
            out.append(document.problem((*path, key), f"unknown key {key!r}; {hint}", key=True))
        return out
    if kind == "required":
        missing = error.validator_value
        absent = [key for key in missing if key not in value]
        return [document.problem(path, f"missing required key {key!r}") for key in absent]
    if kind == "type":
        return [document.problem(path, f"expected {_expected(error.validator_value)}, found {_describe(value)}")]
    if kind == "enum":
        options = [str(option) for option in error.validator_value]
        near = suggest(str(value), options) if isinstance(value, str) else None
        hint = f"; did you mean {near!r}?" if near else ""
        return [document.problem(path, f"{_describe(value)} is not one of: {', '.join(options)}{hint}")]
    if kind in ("minimum", "exclusiveMinimum"):
        word = "at least" if kind == "minimum" else "more than"
        return [document.problem(path, f"must be {word} {error.validator_value}, found {value}")]
    if kind in ("maximum", "exclusiveMaximum"):
        word = "at most" if kind == "maximum" else "less than"
        return [document.problem(path, f"must be {word} {error.validator_value}, found {value}")]
    if kind == "minItems":
        return [document.problem(path, f"needs at least {error.validator_value} item(s), found {len(value)}")]
    if kind == "maxItems":
        return [document.problem(path, f"takes at most {error.validator_value} items, found {len(value)}")]
    if kind == "minLength":
        return [document.problem(path, "must not be empty")]
    if kind == "minProperties":
        return [document.problem(path, "must not be empty")]
    if kind == "pattern":
        what = schema.get("description", f"the pattern {error.validator_value}")
        return [document.problem(path, f"{_describe(value)} is not allowed here: {what}")]
    if kind in ("oneOf", "anyOf"):
        return _translate_choice(document, error)
    return [document.problem(path, error.message)]


def _translate_choice(document: Document, error: ValidationError) -> list[Problem]:
    """Explain a oneOf/anyOf failure through the branch whose type fits the value."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = [errs for errs in branches.values() if not any(e.validator == "type" and not e.path for e in errs)]
    if len(fitting) == 1:
        problems: list[Problem] = []
        for sub in fitting[0]:
            problems.extend(_translate(document, sub))
        return problems
    types: list[str] = []
    for branch in error.validator_value:
        resolved = branch
        if "$ref" in branch:
            resolved = scheme_schema()["$defs"][branch["$ref"].rsplit("/", 1)[-1]]
        found = resolved.get("type")
        if isinstance(found, str) and found not in types:
            types.append(found)
    path = tuple(error.absolute_path)
    return [document.problem(path, f"expected {_expected(types)}, found {_describe(error.instance)}")]
