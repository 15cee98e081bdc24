"""The shipped schemes and templates, registered as the built-in pack like any other."""

from __future__ import annotations

from appraisal import __version__
from appraisal.hookspecs import hookimpl


@hookimpl
def register_packs(register):  # type: ignore[no-untyped-def]
    from appraisal.packs import BUILTIN, Pack
    from appraisal.shipped import schemes_dir, templates_dir

    register(Pack(BUILTIN, schemes_dir(), __version__, "Schemes shipped with appraisal", templates_dir()))
