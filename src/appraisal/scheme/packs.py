"""Scheme packs: installable bundles of schemes, templates and demo data.

A consultant ships a pack as a Python package whose plugin calls `register(Pack(...))` from the
`register_packs` hook. The shipped schemes are the built-in pack `builtin`, registered the same
way. A scheme is named by its file stem (`agent`), or `pack:stem` when two packs have one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appraisal.errors import AppraisalError
from appraisal.registry import Registry, collect
from appraisal.suggestions import suggest

BUILTIN = "builtin"


@dataclass(frozen=True)
class Pack:
    """`schemes`: a folder of `*.yaml` schemes (not its subfolders, which may be other packs');
    `templates`: template overrides (optional); `demo`: writes demo data (optional).

    `appraisal demo --role PACK:STEM` calls `demo(folder, role=STEM, seed=..., period=...)` with
    `folder` the `data/STEM` folder beside the copied scheme; it returns an object whose
    `folder` attribute, if any, is where the data went."""

    name: str
    schemes: Path
    version: str = ""
    title: str = ""
    templates: Path | None = None
    demo: Callable[..., Any] | None = None
    plugin: str = ""

    def scheme_files(self) -> list[Path]:
        return sorted(p for p in self.schemes.glob("*.yaml") if not p.name.startswith("_"))


class PackRegistry(Registry[Pack]):
    kind = "pack"


def collect_packs(manager: Any) -> PackRegistry:
    return collect(manager, "register_packs", PackRegistry())


def resolve_scheme_path(name: str, packs: PackRegistry) -> Path:
    """A scheme argument is a file path, or a scheme's name: `agent`, or `pack:agent`."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    found = find_scheme(name, packs)
    if found is not None:
        return found
    raise AppraisalError(f"no scheme file or scheme named {name!r}; {unknown_scheme_hint(name, packs)}")


def find_scheme(reference: str, packs: PackRegistry) -> Path | None:
    """The file of `stem` or `pack:stem`; the built-in pack wins a bare name, then the others."""
    if ":" in reference:
        name, stem = reference.split(":", 1)
        pack = packs.get(name)
        if pack is None:
            raise AppraisalError(f"no scheme pack {name!r}; {packs.hint(name)}")
        return _pack_file(pack, stem)
    ordered = sorted(packs, key=lambda p: (p.name != BUILTIN, p.name))
    for pack in ordered:
        if (found := _pack_file(pack, reference)) is not None:
            return found
    return None


def _pack_file(pack: Pack, stem: str) -> Path | None:
    """`stem`.yaml of the pack's own scheme folder; None for anything else, a `../x` included."""
    if not stem or stem != Path(stem).name or stem in (".", "..") or "\\" in stem:
        return None
    found = pack.schemes / f"{stem}.yaml"
    if not found.is_file() or not found.resolve().is_relative_to(pack.schemes.resolve()):
        return None
    return found


def pack_of(scheme: Path, packs: PackRegistry) -> Pack | None:
    """The pack whose scheme folder lists `scheme`, so `appraisal demo` can ask it for data."""
    target = scheme.resolve()
    for pack in packs:
        if any(path.resolve() == target for path in pack.scheme_files()):
            return pack
    return None


def known_schemes(packs: PackRegistry) -> list[str]:
    """Every scheme reference: bare for the built-in pack, `pack:stem` for the others."""
    names = []
    for pack in sorted(packs, key=lambda p: (p.name != BUILTIN, p.name)):
        for path in pack.scheme_files():
            names.append(path.stem if pack.name == BUILTIN else f"{pack.name}:{path.stem}")
    return names


def unknown_scheme_hint(reference: str, packs: PackRegistry) -> str:
    """What to say after "no scheme REFERENCE": the closest known name, else every one."""
    known = known_schemes(packs)
    near = suggest(reference, known)
    return f"did you mean {near!r}?" if near else f"known: {', '.join(known)}"


def template_dirs(packs: PackRegistry) -> list[Path]:
    """Template folders of the packs (searched after the user's, before the defaults)."""
    return [p.templates for p in sorted(packs, key=lambda p: p.name) if p.templates is not None and p.name != BUILTIN]
