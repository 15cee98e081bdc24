"""The checked scheme as frozen dataclasses: what every later stage reads.

Built only from a document that passed the schema and the lint (by `scheme_building`), so
nothing here validates; defaults (direction, kind, cap) are resolved once, there, so no later
stage re-derives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appraisal.scheme.intervals import Interval
from appraisal.scheme.repeat_rules import Repeats

if TYPE_CHECKING:
    from appraisal.expressions.parsing import Expression

Text = Mapping[str, str]


def as_text(value: str | Mapping[str, str] | None) -> Text:
    """A scheme text, always as a language → text mapping (a plain string counts as `en`)."""
    if value is None:
        return MappingProxyType({})
    if isinstance(value, str):
        return MappingProxyType({"en": value})
    return MappingProxyType(dict(value))


def pick(text: Text, language: str = "en") -> str:
    """The text in `language`, falling back to English, then to any language there is."""
    return text.get(language) or text.get("en") or next(iter(text.values()), "")


@dataclass(frozen=True)
class Source:
    """Where a table comes from: a source plugin name, a file, plugin options, and `rename`
    (a file's column name -> the name the scheme uses for it)."""

    source: str
    path: Path
    options: Mapping[str, Any] = field(default_factory=dict)
    rename: Mapping[str, str] = field(default_factory=dict)
    written: str = ""  # the path as the scheme wrote it, for messages (`path` is resolved)
    table: str | None = None  # `source: table`: the database's table; `path` is then meaningless

    @property
    def in_database(self) -> bool:
        """The rows live in the database the run measures on, not in a file."""
        return self.source == TABLE_SOURCE


@dataclass(frozen=True)
class ColumnFormat:
    """How a date or timestamp column is read beyond the default spellings: `formats`
    (strptime formats, or `excel` for serial days), and for a timestamp built from two
    columns, the `date` and `time` columns whose cells are joined by a space."""

    formats: tuple[str, ...] = ()
    date: str | None = None
    time: str | None = None


TABLE_SOURCE = "table"  # `source: table`: a dataset whose rows live in the engine's database
EMBEDDED = "duckdb"  # the engine every command has, in the process (appraisal.engines.remote)

ROSTER_FIELDS = ("name", "team", "manager", "role", "start", "end")
AS_OF_PERIOD = "period"  # `as_of: period`: the file is the snapshot of the period being run
# The engine's tables of the roster and the ratings file, by these names whatever the files are called.
ROSTER = "roster"
RATINGS = "ratings"
# A ratings file has one rater's rating of one indicator of one appraisee per row.
RATING_COLUMNS = {"appraisee": "text", "indicator": "text", "rater": "text", "rating": "number"}
# The `format` of a date or timestamp column written as spreadsheet serial numbers (engines.date_formats).
EXCEL = "excel"


@dataclass(frozen=True)
class Roster:
    """Who is appraised; `fields` maps name/team/manager/role/start/end to the file's columns."""

    source: Source
    key: str
    columns: Mapping[str, str]
    fields: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, ColumnFormat] = field(default_factory=dict)  # the long-form columns


# A scheme may leave the roster out (a base for `extends`, a form), but it cannot be measured:
# everyone appraised comes from the roster. validate, measure, run and the reference say so.
# Indicators of these kinds take a value from data (an engine query, a plugin, ratings); each
# appraisee's cell of one is `ok` or, with no value, `insufficient data` (never zero).
MEASURED_KINDS = ("measure", "custom", "rating")
OK = "ok"
APPEAL_DAYS = {"within_days": 7, "decide_within_days": 14}  # an appeal's deadlines when a scheme names none
INSUFFICIENT = "insufficient data"
# The rule cases of a scored cell: which words explain its points. Compiled scoring (appraisal.sql.
# scoring) gives each cell its case; `scoring.scores.rule_words` turns a case and the cell's target
# back into the words the reference (`scores.score_value`) gives.
NOT_SCORED, NO_DATA, NO_TARGET, TARGET_ZERO = "not_scored", "insufficient_data", "no_target", "target_zero"
CURVE, RATIO, BAND_DEFAULT = "curve", "ratio", "band_default"
FORMULA, FORMULA_NO_NUMBER = "formula", "formula_no_number"


def band_case(n: int) -> str:
    """The rule case of a value in the score's band `n` (counted from 0)."""
    return f"band_{n}"


ROSTER_NEEDED = "has no roster, which measure and run need: add 'roster' (who is appraised, one row each)"


@dataclass(frozen=True)
class Via:
    dataset: str
    on: str
    order_by: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A table of evidence. `period_by` places each row in a period; `as_of` makes it a
    snapshot instead (`period`: the file is the run's period; a column: the latest snapshot
    in the period). With neither it is a lookup table for `via` joins and targets only."""

    name: str
    source: Source
    period_by: str | None
    columns: Mapping[str, str]
    key: str | None = None
    appraisee: str | None = None
    via: Via | None = None
    repeats: Repeats | None = None  # adds a repeat-problem column (see appraisal.sql.repeats)
    formats: Mapping[str, ColumnFormat] = field(default_factory=dict)  # the long-form columns
    as_of: str | None = None
    first_by: tuple[str, ...] = ()  # a table's order for repeated keys (appraisal.engines.tables)

    @property
    def measurable(self) -> bool:
        return self.period_by is not None or self.as_of is not None

    @property
    def placed_by(self) -> str | None:
        """The column that places rows in time (period_by, or a snapshot's date), if any."""
        return self.period_by or (self.as_of if self.as_of not in (None, AS_OF_PERIOD) else None)


@dataclass(frozen=True)
class Exclusion:
    dataset: str
    where: Expression
    reason: Text


@dataclass(frozen=True)
class Part:
    where: Expression | None = None
    of: Expression | None = None


@dataclass(frozen=True)
class Measure:
    dataset: str
    agg: str
    of: Expression | None = None
    where: Expression | None = None
    percentile: float | None = None
    numerator: Part | None = None
    denominator: Part | None = None
    min_count: int = 1
    attribution: str = "all"


@dataclass(frozen=True)
class TargetFrom:
    dataset: str
    column: str


@dataclass(frozen=True)
class Band:
    interval: Interval
    score: float


@dataclass(frozen=True)
class Score:
    """How a value becomes points; `rule` is curve, bands, ratio_to_target or formula."""

    rule: str
    worst: float | None = None
    best: float | None = None
    cap: float = 100.0
    floor: float = 0.0
    bands: tuple[Band, ...] = ()
    default: float | None = None
    formula: Expression | None = None


@dataclass(frozen=True)
class RaterGroup:
    """A 360-degree rater group: its weight, minimum number of raters and own scale."""

    name: str
    weight: float
    min: int = 1
    scale: tuple[float, float] | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    title: Text
    definition: Text
    kind: str
    unit: str
    direction: str
    weight: float
    measure: Measure | None = None
    formula: Expression | None = None
    custom: Mapping[str, Any] | None = None
    scale: tuple[float, float] | None = None
    target: float | TargetFrom | None = None
    score: Score | None = None
    raters: tuple[RaterGroup, ...] = ()
    trim: int = 0
    window: str = "period"
    target_scale: str | None = None  # by_days or none: overrides the scheme's `targets.scale` (see target_scaling)


@dataclass(frozen=True)
class Gate:
    when: Expression
    reason: Text
    cap_total: float | None = None
    veto: bool = False


@dataclass(frozen=True)
class Adjustment:
    when: Expression
    points: float
    reason: Text


@dataclass(frozen=True)
class Grade:
    grade: str
    min: float
    max: float
    title: Text


@dataclass(frozen=True)
class Incentives:
    """Pay from the appraisal: a bonus (base x the grade's coefficient) and a commission.

    `base` is a number or per appraisee from a dataset; `commission_from` the sales column
    whose sum over the period earns `commission_rate`, up to `commission_cap`.
    """

    coefficients: Mapping[str, float]
    base: float | TargetFrom | None = None
    bonus_cap: float | None = None
    commission_from: TargetFrom | None = None
    commission_rate: float = 0.0
    commission_cap: float | None = None
    currency: str = ""
    employees_see_pay: bool = False  # pages rendered for employees show the amounts (render --for employee)


@dataclass(frozen=True)
class Calendar:
    """Working time for business-hours clocks; dates as ISO text, times as HH:MM (local)."""

    opens: str = "09:00"
    closes: str = "18:00"
    days: tuple[int, ...] = (1, 2, 3, 4, 5)
    holidays: tuple[str, ...] = ()
    workdays: tuple[str, ...] = ()


BONUS_BASE = "__bonus_base"
SALES = "__sales"


@dataclass(frozen=True)
class Scheme:
    """A checked scheme; `digest` is the SHA-256 of the text it came from."""

    id: str
    version: int
    title: Text
    description: Text
    role: str | None
    period: str
    timezone: str
    roster: Roster | None
    datasets: Mapping[str, Dataset]
    ratings: Source | None
    constants: Mapping[str, Any]
    exclusions: tuple[Exclusion, ...]
    missing_data: str
    indicators: tuple[Indicator, ...]
    gates: tuple[Gate, ...]
    adjustments: tuple[Adjustment, ...]
    max_bonus: float | None
    max_penalty: float | None
    grades: tuple[Grade, ...]
    calibration: Mapping[str, float]
    source: str
    digest: str
    incentives: Incentives | None = None
    calendar: Calendar = field(default_factory=Calendar)
    quadrant: Mapping[str, Any] | None = None  # the team report's two-indicator quadrant, as written
    quality: Mapping[str, Any] = field(default_factory=dict)  # data-quality levels, as written (see quality_checks)
    target_scale: str | None = None  # `targets.scale`: how targets follow a run's period of another length
    profile: str | None = None  # the connection profile to measure through (appraisal.engines.profiles)
    appeals: Mapping[str, int] = field(default_factory=lambda: dict(APPEAL_DAYS))  # appeal deadlines, in days

    def sources(self) -> list[Source]:
        """Where every table of the scheme comes from: the roster, the ratings, the datasets."""
        found = [self.roster.source] if self.roster else []
        return found + ([self.ratings] if self.ratings else []) + [d.source for d in self.datasets.values()]

    def amounts(self) -> list[tuple[str, TargetFrom]]:
        """Per-appraisee amounts read from datasets, by name: indicator targets (under the
        indicator's id), the incentives' bonus base and sales."""
        found = [(i.id, i.target) for i in self.indicators if isinstance(i.target, TargetFrom)]
        if self.incentives is not None:
            if isinstance(self.incentives.base, TargetFrom):
                found.append((BONUS_BASE, self.incentives.base))
            if self.incentives.commission_from is not None:
                found.append((SALES, self.incentives.commission_from))
        return found

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)


def formula_order(scheme: Scheme) -> list[Indicator]:
    """Formula indicators so that each comes after the indicators it names (no cycles: lint);
    scoring in Python and in SQL take them in this one order."""
    formulas = {i.id: i for i in scheme.indicators if i.formula is not None}
    ordered: list[Indicator] = []
    placed: set[str] = set()

    def place(indicator: Indicator) -> None:
        if indicator.id in placed:
            return
        assert indicator.formula is not None
        for name in sorted(indicator.formula.names):
            if name in formulas:
                place(formulas[name])
        placed.add(indicator.id)
        ordered.append(indicator)

    for indicator in formulas.values():
        place(indicator)
    return ordered
