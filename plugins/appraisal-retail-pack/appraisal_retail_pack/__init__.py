"""The retail / e-commerce scheme pack: registers its schemes and templates with appraisal.

A pack is a plugin whose `register_packs` hook registers one `Pack`: a folder of schemes and,
optionally, a folder of template overrides. The folders live inside this package, so they ship
in its wheel and are found the same way from a checkout and from an installed package.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from appraisal.hookspecs import hookimpl
from appraisal.packs import Pack

try:
    __version__ = version("appraisal-retail-pack")
except PackageNotFoundError:  # imported from a checkout without installing
    __version__ = "0.0.0"

HERE = Path(__file__).resolve().parent


@hookimpl
def register_packs(register):  # type: ignore[no-untyped-def]
    register(
        Pack(
            name="retail",
            schemes=HERE / "schemes",
            version=__version__,
            title="Retail and e-commerce after-sales",
            templates=HERE / "templates",
        )
    )
