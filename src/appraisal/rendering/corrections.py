"""What accepted appeals corrected, as the summary and the scorecards show it.

A corrected version's result.json lists its corrections (`appraisal.measuring.corrections`); the
pages name each with the indicator's title and the change in the report's language, and a
scorecard shows the appraisee's own alone: nobody reads of another's appeal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appraisal.rendering import phrasing
from appraisal.rendering.phrasing import DASH, num
from appraisal.scheme.model import pick


def corrections_of(data: Mapping[str, Any], appraisee: str | None, language: str) -> list[dict[str, Any]]:
    """What accepted appeals corrected in `appraisee`'s cells (everyone's: None), from result.json
    `corrections`, each with the indicator's title and the change in words."""
    titles = {i["id"]: i.get("title") or {} for i in data["scheme"].get("indicators", [])}
    found = []
    for correction in data.get("corrections") or ():
        if appraisee is not None and correction.get("appraisee") != appraisee:
            continue
        kind, value = str(correction.get("kind")), correction.get("value")
        change = phrasing.phrase({"key": f"correction_{kind}", "rows": ", ".join(correction.get("rows") or ()),
                                  "value": num(value) if value is not None else DASH}, language)
        title = titles.get(correction.get("indicator")) or {}
        found.append({**correction, "title": pick(title, language) if title else correction.get("indicator"),
                      "change": change})
    return found

