"""Intervals with explicit open or closed ends, as HR authors write them: "[0.9, 0.95)".

Band tables and grade bands both need to know, for a boundary value, which band it falls in;
writing the brackets out makes that decision visible in the scheme instead of implicit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_RANGE = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\]\s)]+)\s*([\])])\s*$")


class IntervalError(ValueError):
    """A range text that is not an interval."""


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    low_closed: bool
    high_closed: bool

    def contains(self, value: float) -> bool:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def overlaps(self, other: Interval) -> bool:
        """True when some number lies in both intervals."""
        first, second = sorted((self, other), key=lambda i: (i.low, not i.low_closed))
        if second.low < first.high:
            return True
        return second.low == first.high and second.low_closed and first.high_closed

    def __str__(self) -> str:
        def show(x: float) -> str:
            return ("-inf" if x < 0 else "inf") if math.isinf(x) else f"{x:g}"

        return f"{'[' if self.low_closed else '('}{show(self.low)}, {show(self.high)}{']' if self.high_closed else ')'}"


def _bound(text: str) -> float:
    lowered = text.lower()
    if lowered in ("inf", "+inf", "infinity"):
        return math.inf
    if lowered in ("-inf", "-infinity"):
        return -math.inf
    try:
        return float(text)
    except ValueError:
        raise IntervalError(f"{text!r} is not a number") from None


def parse_interval(text: str) -> Interval:
    """Parse "[a, b)" style text; raise `IntervalError` with a plain reason."""
    match = _RANGE.match(text)
    if not match:
        raise IntervalError(f"{text!r} is not an interval like \"[0.9, 0.95)\"")
    opening, low_text, high_text, closing = match.groups()
    low, high = _bound(low_text), _bound(high_text)
    interval = Interval(low, high, opening == "[", closing == "]")
    if (math.isinf(low) and interval.low_closed) or (math.isinf(high) and interval.high_closed):
        raise IntervalError(f"{text!r} closes an infinite end; write ( or ) beside inf")
    if low > high or (low == high and not (interval.low_closed and interval.high_closed)):
        raise IntervalError(f"{text!r} is empty: its lower end is not below its upper end")
    return interval
