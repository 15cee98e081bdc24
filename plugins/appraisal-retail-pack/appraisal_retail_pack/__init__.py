"""The retail / e-commerce scheme pack: registers its schemes, templates and demo data.

A pack is a plugin whose `register_packs` hook registers one `Pack`: a folder of schemes and,
optionally, a folder of template overrides and a demo-data callable. The folders live inside
this package, so they ship in its wheel and are found the same way from a checkout and from an
installed package.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from appraisal import Pack, hookimpl

try:
    __version__ = version("appraisal-retail-pack")
except PackageNotFoundError:  # imported from a checkout without installing
    __version__ = "0.0.0"

HERE = Path(__file__).resolve().parent


def write_demo(folder: Path, *, role: str, seed: int = 2026, period: str = "2026-Q3") -> Any:
    """`appraisal demo --role retail:returns-agent`: see `demo.py`. Imported on call, because it
    loads DuckDB, and every appraisal command loads this plugin."""
    from appraisal_retail_pack.demo import demo

    return demo(folder, role=role, seed=seed, period=period)


@hookimpl
def register_packs(register):
    register(
        Pack(
            name="retail",
            schemes=HERE / "schemes",
            version=__version__,
            title="Retail and e-commerce after-sales",
            templates=HERE / "templates",
            demo=write_demo,
        )
    )
