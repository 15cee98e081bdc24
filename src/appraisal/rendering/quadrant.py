"""The quadrant view of the team report: each appraisee placed by two indicators.

Source 003 reads a purchaser on cost and quality together: only low cost with high quality
is ideal. A scheme declares `quadrant: {x, y, x_line, y_line}`; the team report shows a
scatter chart (one point per appraisee who has both values) and a table naming each one's
quadrant. Which side of a line is good follows each indicator's direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WIDTH, HEIGHT, MARGIN = 520, 360, 48


def _title(text: Mapping[str, str] | str | None, language: str) -> str:
    if isinstance(text, str):
        return text
    text = text or {}
    return text.get(language) or text.get("en") or next(iter(text.values()), "")


def _value(appraisee: Mapping[str, Any], indicator: str) -> float | None:
    found = [c["value"] for c in appraisee["cells"] if c["indicator"] == indicator]
    return found[0] if found else None


def quadrant_context(data: Mapping[str, Any], hrefs: Mapping[str, str], language: str) -> dict[str, Any] | None:
    """The quadrant's chart and table, or None when the scheme declares no quadrant."""
    spec = data["scheme"].get("quadrant")
    if not spec:
        return None
    indicators = {i["id"]: i for i in data["scheme"]["indicators"]}
    if spec.get("x") not in indicators or spec.get("y") not in indicators:  # a result edited by hand
        return None
    x_ind, y_ind = indicators[spec["x"]], indicators[spec["y"]]
    x_line, y_line = float(spec["x_line"]), float(spec["y_line"])

    def good(value: float, line: float, direction: str) -> bool:
        return value <= line if direction == "lower" else value >= line

    placed, unplaced = [], []
    for a in data["appraisees"]:
        x, y = _value(a, spec["x"]), _value(a, spec["y"])
        if x is None or y is None:
            unplaced.append({"id": a["id"], "name": a.get("name"), "href": hrefs.get(a["id"], "")})
            continue
        good_x, good_y = good(x, x_line, x_ind["direction"]), good(y, y_line, y_ind["direction"])
        placed.append({"id": a["id"], "name": a.get("name"), "href": hrefs.get(a["id"], ""), "x": x, "y": y,
                       "good_x": good_x, "good_y": good_y, "ideal": good_x and good_y})
    xs = [p["x"] for p in placed] + [x_line]
    ys = [p["y"] for p in placed] + [y_line]

    def scale(value: float, low: float, high: float, length: int, flip: bool) -> float:
        pad = (high - low) * 0.08 or 1.0
        share = (value - (low - pad)) / ((high + pad) - (low - pad))
        return round(MARGIN + (1 - share if flip else share) * (length - 2 * MARGIN), 1)

    for p in placed:
        p["cx"] = scale(p["x"], min(xs), max(xs), WIDTH, flip=False)
        p["cy"] = scale(p["y"], min(ys), max(ys), HEIGHT, flip=True)
    return {
        "title": (_title(spec.get("title"), language)
                  or f"{_title(x_ind['title'], language)} x {_title(y_ind['title'], language)}"),
        "x_title": _title(x_ind["title"], language), "y_title": _title(y_ind["title"], language),
        "x_unit": x_ind.get("unit", ""), "y_unit": y_ind.get("unit", ""),
        "x_line": x_line, "y_line": y_line, "points": placed, "unplaced": unplaced,
        "ideal_count": sum(p["ideal"] for p in placed),
        "width": WIDTH, "height": HEIGHT, "margin": MARGIN,
        "line_x": scale(x_line, min(xs), max(xs), WIDTH, flip=False),
        "line_y": scale(y_line, min(ys), max(ys), HEIGHT, flip=True),
    }
