"""Shared by the tests that check a shipped scheme against a computation by hand.

Those tests recompute each value from the raw CSV rows with plain Python, following the
scheme's rules as an HR author would on paper; these are the pieces every such computation
needs, and the checks every shipped role makes of its demo data and its role page.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appraisal.scheme.loading import load_text


def rows(path: Path, key: str | None = None) -> list[dict[str, str]]:
    """The rows of a CSV file; with `key`, a repeated key keeps its first row (as the engine does)."""
    with path.open(encoding="utf-8") as handle:
        found = list(csv.DictReader(handle))
    seen: set[str] = set()
    return found if key is None else [r for r in found if not (r[key] in seen or seen.add(r[key]))]


def linear(value: float, worst: float, target: float, best: float, cap: float) -> float:
    """The linear curve: worst -> 0, target -> 100, best -> cap, flat beyond both ends."""
    sign = -1 if best < worst else 1
    v, w, t, b = sign * value, sign * worst, sign * target, sign * best
    if v <= w:
        return 0.0
    if v < t:
        return 100 * (v - w) / (t - w)
    return cap if v >= b else 100 + (cap - 100) * (v - t) / (b - t)


def assert_deterministic(generate: Callable[..., Any], folder: Path, **options: Any) -> None:
    """The same seed writes the same bytes; another seed writes other data."""
    first, second = generate(folder / "a", **options), generate(folder / "b", **options)
    assert [p.name for p in first.paths] == [p.name for p in second.paths]
    for a, b in zip(first.paths, second.paths, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = generate(folder / "c", **options, seed=7)
    assert any(a.read_bytes() != c.read_bytes() for a, c in zip(first.paths, other.paths, strict=True))


def assert_role_page(page: Path, demo_command: str) -> None:
    """Every YAML excerpt of a role page loads, and the page says how to run its demo."""
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    for n, block in enumerate(blocks):
        assert load_text(block, f"{page.name} block {n + 1}").data is not None
    assert demo_command in text
