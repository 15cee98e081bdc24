"""The import paths of appraisal 0.1 that moved when the package was split by stage.

Plugins and scripts written against 0.1 imported from modules that no longer exist
(`appraisal.functions`, `appraisal.sql_emitter`, ...). Each such path is now a tiny module whose
`__getattr__` comes from `forward` here: the old name still works for one more release, and
every use warns (`DeprecationWarning`) naming the import to write instead. Only the paths the
example plugins and the docs of 0.1 used are kept, not every moved module.

Names are resolved on use, so an old module costs nothing to import, and a package that is also
an old module (`appraisal.rendering`) stays as light as it was.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

REMOVED_IN = "0.3"
PUBLIC = "appraisal"


def forward(old: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for the old module `old`.

    `names` maps each old name to its new home, `"appraisal:Function"` (the public API) or
    `"appraisal.scheme.packs:template_dirs"` (a module that is not part of it).
    """

    def __getattr__(name: str) -> Any:
        home = names.get(name)
        if home is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        module, _, attribute = home.partition(":")
        warnings.warn(_message(old, name, module, attribute), DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), attribute)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[old]), *names})

    return __getattr__, __dir__


def _message(old: str, name: str, module: str, attribute: str) -> str:
    """What to write instead, in words a plugin author can paste."""
    new = f"from {module} import {attribute}" if attribute == name else f"from {module} import {attribute} as {name}"
    said = f"{old}.{name} is deprecated and will be removed in appraisal {REMOVED_IN}: use '{new}'"
    if module != PUBLIC:
        said += f" ({module} is not part of the public API and may change; see docs/plugins.md)"
    return said
