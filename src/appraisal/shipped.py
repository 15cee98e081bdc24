"""Where the shipped schemes and templates are: inside an installed wheel, or in a checkout.

The wheel carries the top-level `schemes/` and `templates/` under `appraisal/shipped/`; an
editable checkout reads them in place, so both layouts resolve without copying files.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = _PACKAGE / "shipped" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


def schemes_dir() -> Path:
    """The folder of built-in schemes."""
    return _shipped("schemes")


def templates_dir() -> Path:
    """The folder of default templates."""
    return _shipped("templates")


def shipped_scheme(name: str) -> Path:
    """A built-in scheme file by its file stem, e.g. `agent`."""
    return schemes_dir() / f"{name}.yaml"
