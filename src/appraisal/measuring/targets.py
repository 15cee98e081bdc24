"""Targets for a run whose period is not the scheme's: refused, or scaled as the scheme says.

A scheme's targets are written for its `period`: 300 tickets a quarter. Run for one month, that
target would score everyone near zero. So a run for a period of another kind or length (a month,
a week, a range of days that is not one of the scheme's periods) is refused unless the scheme
declares how its targets follow: `targets: {scale: by_days}` scales volume targets (the
indicators measured by `count`, `sum` or `count_distinct`) by the run's days over the days of
the scheme's period that holds it; `targets: {scale: none}` keeps every target as written.
An indicator's own `target_scale` (`by_days` or `none`) overrides that, e.g. for a formula that
is a volume. What scales is everything the scheme writes in the value's unit: the target and the
score rule's `worst`, `best` and band ranges. A target read from a dataset is taken as the
dataset gives it for the run's period, never scaled.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from appraisal.errors import AppraisalError
from appraisal.periods import period_for, window
from appraisal.scheme.intervals import Interval

if TYPE_CHECKING:
    from appraisal.periods import Period
    from appraisal.scheme.model import Indicator, Scheme

BY_DAYS, NONE = "by_days", "none"
VOLUMES = ("count", "sum", "count_distinct")
FLAG = "target scaled to the period: {days} of {of} days"


class PeriodMismatch(AppraisalError):
    """A run's period that is not the scheme's, in a scheme that does not say how targets scale."""


def scheme_period(scheme: Scheme, period: Period) -> Period:
    """The scheme's own period that holds the run's first day (2026-Q3 for a run of 2026-07)."""
    return period_for(scheme.period, period.start)


def matches(scheme: Scheme, period: Period) -> bool:
    """Whether `period` is one of the scheme's periods (a range of exactly its days counts)."""
    own = scheme_period(scheme, period)
    return (period.start, period.end) == (own.start, own.end)


def fit_targets(scheme: Scheme, period: Period) -> Scheme:
    """`scheme` with its targets for `period`: unchanged when the period is one of its own,
    scaled as declared otherwise; refused when the scheme declares nothing."""
    if matches(scheme, period):
        return scheme
    own = scheme_period(scheme, period)
    if scheme.target_scale is None:
        what = f"a {period.kind}" if period.kind != "range" else f"{period.days} days"
        raise PeriodMismatch(
            f"period {period.label} is {what}, but scheme {scheme.id!r} appraises a {scheme.period}: its targets "
            f"are per {scheme.period}. Run it for a {scheme.period} (-p {own.label}), or declare in the scheme how "
            "targets follow another period: 'targets: {scale: by_days}' (volume targets in proportion to the days) "
            "or 'targets: {scale: none}' (every target holds as written)"
        )
    return replace(scheme, indicators=tuple(_scaled(i, factor(scheme, i, period)) for i in scheme.indicators))


def scale_of(scheme: Scheme, indicator: Indicator) -> str:
    """How this indicator's target follows the period: its own `target_scale`, else the scheme's
    for a volume (count, sum, count_distinct) and `none` for everything else."""
    if indicator.target_scale is not None:
        return indicator.target_scale
    volume = indicator.measure is not None and indicator.measure.agg in VOLUMES
    return scheme.target_scale or NONE if volume else NONE


def day_counts(scheme: Scheme, indicator: Indicator, period: Period) -> tuple[int, int]:
    """(days measured in this run, days of the same window in the scheme's own period)."""
    return window(period, indicator.window).days, window(scheme_period(scheme, period), indicator.window).days


def factor(scheme: Scheme, indicator: Indicator, period: Period) -> float:
    """What the indicator's written target is multiplied by in this run (1 when it does not scale)."""
    if scale_of(scheme, indicator) != BY_DAYS:
        return 1.0
    days, of = day_counts(scheme, indicator, period)
    return days / of


def flags(scheme: Scheme, period: Period) -> dict[str, str]:
    """Per indicator whose target was scaled, the flag its cells carry."""
    if matches(scheme, period):
        return {}
    found = {}
    for indicator in scheme.indicators:
        if factor(scheme, indicator, period) != 1.0:
            days, of = day_counts(scheme, indicator, period)
            found[indicator.id] = FLAG.format(days=days, of=of)
    return found


MEMBERS_FLAG = "target scaled to the group: {members} members"


def for_members(scheme: Scheme, members: int) -> Scheme:
    """`scheme` for a group row of `members` people: a volume (count, sum, count_distinct) is
    the group's total, so its target and score rule are the per-person ones times the members;
    a rate, a mean or a time is compared with the per-person target as it is."""
    def volume(indicator: Indicator) -> bool:
        return indicator.measure is not None and indicator.measure.agg in VOLUMES

    return replace(scheme, indicators=tuple(_scaled(i, float(members)) if volume(i) else i
                                            for i in scheme.indicators))


def _scaled(indicator: Indicator, by: float) -> Indicator:
    if by == 1.0:
        return indicator
    target = indicator.target * by if isinstance(indicator.target, (int, float)) else indicator.target
    score = indicator.score
    if score is not None:
        score = replace(
            score,
            worst=None if score.worst is None else score.worst * by,
            best=None if score.best is None else score.best * by,
            bands=tuple(replace(b, interval=_interval(b.interval, by)) for b in score.bands),
        )
    return replace(indicator, target=target, score=score)


def _interval(interval: Interval, by: float) -> Interval:
    return replace(interval, low=interval.low * by, high=interval.high * by)
