"""Data roots: the folders a scheme's data files may be read from.

Schemes come from HR authors and from packs installed off a package index; the data they
read decides pay. So a scheme names its files, but the operator decides where files may be:
a data file (`path:` of the roster, the ratings and each dataset), with every symbolic link
followed, must lie inside the scheme's own folder (or below it) or inside a data root the
operator allowed, with `--data-root DIR` on the commands that read data or with
`APPRAISAL_DATA_ROOTS` (folders separated by `os.pathsep`). Nothing in a scheme can widen
them. An absolute path, a `..` that climbs out, or a link that points out is refused with the
path as the scheme wrote it and never read, so no message can quote such a file.

`validate`, `measure` and `run` check the paths of a loaded scheme and report a refusal at
the file, line and key that wrote it (`data_path_problems`); the engine checks again right
before it reads (`check_source`), so the Python API and a link changed after `validate` are
held to the same roots.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal.errors import DataError, Problem
from appraisal.scheme.loading import Document, KeyPath

if TYPE_CHECKING:
    from appraisal.scheme.model import Source

ENV = "APPRAISAL_DATA_ROOTS"
OPTION = "--data-root"
HOW_TO_ALLOW = f"allow its folder with {OPTION} or {ENV}, or move the file into the scheme's folder"

_granted: ContextVar[tuple[Path, ...]] = ContextVar("appraisal_data_roots", default=())


@contextmanager
def allowing(roots: Iterable[Path | str]) -> Iterator[tuple[Path, ...]]:
    """Allow `roots` (besides the scheme's folder and $APPRAISAL_DATA_ROOTS) within the block."""
    granted = tuple(_root(root, OPTION) for root in roots)
    token = _granted.set(_granted.get() + granted)
    try:
        yield granted
    finally:
        _granted.reset(token)


def allowed_roots() -> tuple[Path, ...]:
    """The operator's data roots, resolved: those of `allowing`, then those of $APPRAISAL_DATA_ROOTS."""
    listed = [entry for entry in os.environ.get(ENV, "").split(os.pathsep) if entry.strip()]
    return _granted.get() + tuple(_root(entry, ENV) for entry in listed)


def _root(entry: Path | str, origin: str) -> Path:
    try:
        found = Path(entry).expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        raise DataError(f"data root {str(entry)!r} (from {origin}) does not exist") from None
    if not found.is_dir():
        raise DataError(f"data root {str(entry)!r} (from {origin}) is not a folder")
    return found


def refusal(written: str, folder: Path, roots: Sequence[Path]) -> str | None:
    """Why the data file `written` (as the scheme wrote it, relative to the scheme's `folder`)
    may not be read; None when it lies inside the folder or a root, links followed."""
    folder = folder.resolve()
    try:
        real = (folder / written).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL character
        return f"path {written!r} does not name a file that can be found"
    if any(real.is_relative_to(inside) for inside in (folder, *roots)):
        return None
    where = "the scheme's folder and the data roots" if roots else "the scheme's folder"
    if Path(written).is_absolute():
        how = "an absolute path"
    elif not Path(os.path.normpath(folder / written)).is_relative_to(folder):
        how = "'..' climbs out of the scheme's folder"
    else:
        how = "a symbolic link points out of them"
    return f"path {written!r} is outside {where} ({how}); {HOW_TO_ALLOW}"


_DECLARED: tuple[tuple[tuple[str], str], ...] = ((("roster",), "roster"), (("ratings",), "ratings"))


def data_path_problems(document: Document) -> list[Problem]:
    """A located problem for every data path of a checked document outside the allowed roots."""
    data: dict[str, Any] = document.data
    folder = Path(document.file).resolve().parent
    roots = allowed_roots()
    declared: list[tuple[KeyPath, Any]] = [
        (path, data[path[0]]) for path, _ in _DECLARED if isinstance(data.get(path[0]), dict)]
    declared += [(("datasets", name), spec) for name, spec in data.get("datasets", {}).items()]
    problems = []
    for path, spec in declared:
        if "path" not in spec:  # a table of the database (`source: table`)
            continue
        why = refusal(spec["path"], folder, roots)
        if why is not None:
            problems.append(document.problem((*path, "path"), why))
    return problems


def check_source(label: str, source: Source, folder: Path) -> None:
    """Raise `DataError` unless the file the engine will read, and the path the scheme wrote,
    lie inside the scheme's folder or a data root (see `refusal`)."""
    roots = allowed_roots()
    written = source.written or str(source.path)
    why = refusal(written, folder, roots) or refusal(str(source.path), folder, roots)
    if why is not None:
        raise DataError(f"{label}: {why}")
