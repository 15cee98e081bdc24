"""The shipped schemes and templates, registered as packs like any other.

`builtin` is the after-sales pack (`schemes/*.yaml`); `manufacturing` and `it` are the industry
packs of source 000, each a subfolder of `schemes/`. Their demo callables import the generators
only when a demo is asked for: the generators load DuckDB, and listing packs must stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from appraisal import __version__
from appraisal.hookspecs import hookimpl
from appraisal.scheme.packs import BUILTIN, Pack
from appraisal.shipped import schemes_dir, templates_dir

INDUSTRY_PACKS = {"manufacturing": "Manufacturing after-sales", "it": "IT and software support"}


def builtin_demo(folder: Path, *, role: str, seed: int = 2026, period: str = "2026-Q3") -> Any:
    """`appraisal.demo.builtin.generate`, the built-in roles' demo data."""
    from appraisal.demo.builtin import generate  # the generators load DuckDB: only when a demo is asked for

    return generate(folder, role=role, seed=seed, period=period)


def industry_demo(folder: Path, *, role: str, seed: int = 2026, period: str = "2026-Q3") -> Any:
    """`appraisal.demo.industry.generate`, the industry packs' demo data (by scheme stem)."""
    from appraisal.demo.industry import generate  # the generators load DuckDB: only when a demo is asked for

    return generate(folder, role=role, seed=seed, period=period)


@hookimpl
def register_packs(register: Callable[[Pack], None]) -> None:
    register(Pack(BUILTIN, schemes_dir(), __version__, "Schemes shipped with appraisal", templates_dir(), builtin_demo))
    for name, title in INDUSTRY_PACKS.items():
        register(Pack(name, schemes_dir() / name, __version__, title, demo=industry_demo))
