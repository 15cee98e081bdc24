""""Did you mean ...?": the closest known name to a mistyped one, for every message that offers one.

One rule everywhere (difflib's similarity ratio, at least 0.6, the single best match), so that a
scheme key, a function, a source, a pack, a column or an appraisee id is suggested alike. It sits
below every stage, so each can say it without importing another stage.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a mistyped word, if any is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=CUTOFF)
    return matches[0] if matches else None
