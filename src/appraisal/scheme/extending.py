"""Extending schemes: a scheme may `extends` another and override what differs.

Consultants ship a base scheme; a company's scheme says only what it changes. Resolution
happens before validation, on the data, and keeps every value's position in the file that
wrote it, so a mistake in an inherited line is reported in the base file, one in an override
in the child. The rules:

* top-level keys of the child replace the base's, except `indicators` (merged by `id`: an
  override replaces the keys it gives, `drop: true` removes the indicator, new ids are added at
  the end), `datasets` and `constants` (merged by name);
* a dataset the base has is merged key by key: a key the child gives replaces the base's, its
  `columns` and `options` are merged entry by entry, `via` and `repeats` (one join, one rule)
  are replaced whole, and `appraisee` and `via` replace each other (a dataset has one of them);
  a constant, a map constant included, is replaced whole;
* `extends` names a shipped scheme (`agent`), a pack's scheme (`retail:agent`) or a file in
  the child's folder or below it (`base.yaml`, `bases/agent.yaml`): never an absolute path, a
  `..` or a link out of that folder, so a scheme cannot make `validate` read and quote a file
  it has no business with; chains are allowed, circles are not;
* a base must hold a scheme: a file of a list or a text is refused without quoting it;
* `strategy` re-weights the resolved scheme by indicator `category` (see `strategies`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal.errors import AppraisalError
from appraisal.scheme.loading import Document, KeyPath, LoadError, Position, load_file, load_text
from appraisal.scheme.packs import find_scheme, unknown_scheme_hint

if TYPE_CHECKING:
    from appraisal.plugins import Extensions

MAX_DEPTH = 10
_MERGED_BY_NAME = ("constants",)
_ENTRY_BY_ENTRY = ("columns", "options")  # inside a dataset
_ONE_OF = {"appraisee": "via", "via": "appraisee"}  # a dataset has one or the other


def load_resolved(path: Path | str, extensions: Extensions, *, _chain: tuple[Path, ...] = ()) -> Document:
    """Load a scheme file and, if it `extends` another, the merged document; a base named `name`
    or `pack:name` is found among the packs of `extensions` (asked for only then)."""
    document = load_file(path, display=_shown(Path(path)))
    data = document.data
    if not isinstance(data, dict) or "extends" not in data:
        return document
    reference = data["extends"]
    here = Path(path).resolve()
    if not isinstance(reference, str) or not reference:
        raise LoadError([document.problem(("extends",), "extends names a scheme: a shipped name, pack:name or a file")])
    base_path = resolve_reference(reference, here, document, extensions)
    chain = (*_chain, here)
    if base_path.resolve() in chain:
        names = " -> ".join(p.name for p in (*chain, base_path))
        raise LoadError([document.problem(("extends",), f"schemes extend each other in a circle: {names}")])
    if len(chain) > MAX_DEPTH:
        raise LoadError([document.problem(("extends",), f"more than {MAX_DEPTH} levels of extends")])
    base = load_resolved(base_path, extensions, _chain=chain)
    if not isinstance(base.data, dict):
        held = "a list" if isinstance(base.data, list) else "a single value"
        raise LoadError([document.problem(
            ("extends",), f"extends {reference!r}: that file is not a scheme (it holds {held}, not keys and values)")])
    return merge(base, document)


def scheme_texts(
    path: Path | str, extensions: Extensions, expected: str | None = None,
) -> tuple[str, list[tuple[Path, str]]]:
    """The digest a load of `path` gives (`Document.digest`: of the text without a byte-order
    mark, combined with its bases' when it `extends` one) and the text of each file that digest
    covers, itself first: what a run store keeps of the scheme a run used, read once. When the
    text alone hashes to `expected` (the loaded scheme's digest: it extends none), it is not
    parsed again."""
    here = Path(path).resolve()
    text = here.read_bytes().decode("utf-8-sig")
    if expected is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() == expected:
        return expected, [(here, text)]
    document = load_text(text, _shown(here))
    found = [(here, text)]
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("extends"), str):
        return document.digest, found
    base_digest, bases = scheme_texts(resolve_reference(data["extends"], here, document, extensions), extensions)
    return hashlib.sha256((base_digest + document.digest).encode()).hexdigest(), found + bases


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if relative.startswith("..") else relative


def resolve_reference(reference: str, child: Path, document: Document, extensions: Extensions) -> Path:
    """The file an `extends` value names; a located problem when there is none."""
    if reference.endswith((".yaml", ".yml")) or "/" in reference or "\\" in reference:
        folder = child.parent
        try:
            candidate = (folder / reference).resolve()
        except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL character
            raise LoadError(
                [document.problem(("extends",), f"extends {reference!r}: no such file next to this scheme")]) from None
        if Path(reference).is_absolute() or not candidate.is_relative_to(folder):
            raise LoadError([document.problem(("extends",), (
                f"extends {reference!r}: a scheme extends a shipped or pack scheme by name, or a file in "
                "its own folder or below it; this path leads out of that folder"))])
        if candidate.is_file():
            return candidate
        raise LoadError([document.problem(("extends",), f"extends {reference!r}: no such file next to this scheme")])
    packs = extensions.packs
    try:
        found = find_scheme(reference, packs)
    except AppraisalError as exc:  # an unknown pack: located here, beside the file's other problems
        raise LoadError([document.problem(("extends",), f"extends {reference!r}: {exc}")]) from None
    if found is not None:
        return found
    hint = unknown_scheme_hint(reference, packs)
    raise LoadError([document.problem(("extends",), f"extends {reference!r}: no such scheme; {hint}")])


class _Merged:
    """Merged data with the positions of every value, each tagged with its file."""

    def __init__(self) -> None:
        self.positions: dict[KeyPath, Position] = {}
        self.key_positions: dict[KeyPath, Position] = {}

    def take(self, doc: Document, source: KeyPath, target: KeyPath) -> None:
        for mine, theirs in ((self.positions, doc.positions), (self.key_positions, doc.key_positions)):
            for path, pos in theirs.items():
                if path[: len(source)] == source:
                    mine[target + path[len(source):]] = replace(pos, file=pos.file or doc.file)

    def drop(self, target: KeyPath) -> None:
        for mine in (self.positions, self.key_positions):
            for path in [p for p in mine if p[: len(target)] == target]:
                del mine[path]

    def replace_with(self, doc: Document, path: KeyPath) -> None:
        """`path` and everything below it as `doc` wrote it."""
        self.drop(path)
        self.take(doc, path, path)

    def own(self, doc: Document, path: KeyPath) -> None:
        """The position of `path` itself (not below it) from `doc`: the last file to write it."""
        for mine, theirs in ((self.positions, doc.positions), (self.key_positions, doc.key_positions)):
            if path in theirs:
                mine[path] = replace(theirs[path], file=theirs[path].file or doc.file)


def merge(base: Document, child: Document) -> Document:
    """The child's data laid over the base's, by the rules in the module docstring."""
    merged = _Merged()
    merged.take(base, (), ())
    data: dict[str, Any] = {k: v for k, v in base.data.items() if k != "extends"}
    merged.drop(("extends",))
    for key, value in child.data.items():
        if key == "extends":
            continue
        if key == "indicators" and isinstance(value, list) and isinstance(data.get(key), list):
            data[key] = _merge_indicators(base, child, data[key], value, merged)
        elif key == "datasets" and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = _merge_datasets(child, data[key], value, merged)
        elif key in _MERGED_BY_NAME and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
            for name in value:
                merged.drop((key, name))
                merged.take(child, (key, name), (key, name))
        else:
            data[key] = value
            merged.drop((key,))
            merged.take(child, (key,), (key,))
    merged.positions[()] = replace(child.positions[()], file=child.file)
    digest = hashlib.sha256((base.digest + child.digest).encode()).hexdigest()
    return Document(child.file, data, merged.positions, merged.key_positions, digest)


def _merge_datasets(
    child: Document, inherited: dict[str, Any], overrides: dict[str, Any], merged: _Merged
) -> dict[str, Any]:
    """Datasets merged by name, and an inherited one key by key (see the module docstring)."""
    out = dict(inherited)
    for name, spec in overrides.items():
        at: KeyPath = ("datasets", name)
        old = out.get(name)
        if not (isinstance(old, dict) and isinstance(spec, dict)):
            out[name] = spec
            merged.replace_with(child, at)
            continue
        new = dict(old)
        for field, value in spec.items():
            if field in _ENTRY_BY_ENTRY and isinstance(value, dict) and isinstance(old.get(field), dict):
                new[field] = {**old[field], **value}
                for entry in value:
                    merged.replace_with(child, (*at, field, entry))
                merged.own(child, (*at, field))
            else:
                new[field] = value
                merged.replace_with(child, (*at, field))
            other = _ONE_OF.get(field)
            if other is not None and other in new and other not in spec:
                del new[other]
                merged.drop((*at, other))
        merged.own(child, at)
        out[name] = new
    return out


def _merge_indicators(
    base: Document, child: Document, inherited: list[Any], overrides: list[Any], merged: _Merged
) -> list[Any]:
    """Indicators merged by id; positions rewritten to the merged list's indices."""
    slots: list[dict[str, Any]] = []  # {"data": ..., "parts": [(doc, source path, key or None)]}
    by_id: dict[object, int] = {}
    for i, item in enumerate(inherited):
        slots.append({"data": dict(item) if isinstance(item, dict) else item,
                      "parts": [(base, ("indicators", i), None)]})
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            by_id.setdefault(item["id"], i)
    for k, item in enumerate(overrides):
        j = by_id.get(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str) else None
        if j is None:
            slots.append({"data": item, "parts": [(child, ("indicators", k), None)]})
            continue
        slot = slots[j]
        if item.get("drop") is True:
            slot["dropped"] = True
            continue
        for key, value in item.items():
            if key == "id":
                continue
            slot["data"][key] = value
            slot["parts"].append((child, ("indicators", k, key), key))
    merged.drop(("indicators",))
    for mine, theirs in ((merged.positions, child.positions), (merged.key_positions, child.key_positions)):
        if ("indicators",) in theirs:
            mine[("indicators",)] = replace(theirs[("indicators",)], file=child.file)
    out: list[Any] = []
    for slot in slots:
        if slot.get("dropped"):
            continue
        index = len(out)
        out.append(slot["data"])
        for doc, source, key in slot["parts"]:
            target: KeyPath = ("indicators", index) + ((key,) if key is not None else ())
            if key is not None:
                merged.drop(target)
            merged.take(doc, source, target)
    return out

