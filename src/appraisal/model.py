"""The checked scheme as frozen dataclasses: what every later stage reads.

Built only from a document that passed the schema and the lint, so nothing here validates;
it resolves defaults (direction, kind, cap) once so no later stage re-derives them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appraisal.intervals import Interval, parse_interval
from appraisal.loading import Document
from appraisal.repeats import Repeats

if TYPE_CHECKING:
    from appraisal.expressions import Expression

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
    """Where a table comes from: a source plugin name, a file, plugin options."""

    source: str
    path: Path
    options: Mapping[str, Any] = field(default_factory=dict)


ROSTER_FIELDS = ("name", "team", "manager", "role", "start", "end")


@dataclass(frozen=True)
class Roster:
    """Who is appraised; `fields` maps name/team/manager/role/start/end to the file's columns."""

    source: Source
    key: str
    columns: Mapping[str, str]
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Via:
    dataset: str
    on: str
    order_by: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A table of evidence; without `period_by` it is a lookup table for `via` joins only."""

    name: str
    source: Source
    period_by: str | None
    columns: Mapping[str, str]
    key: str | None = None
    appraisee: str | None = None
    via: Via | None = None
    repeats: Repeats | None = None  # adds a repeat-problem column (see appraisal.repeats)


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


def indicator_kind(spec: Mapping[str, Any]) -> str:
    """The indicator's kind: declared, or inferred from which value key it has."""
    if "kind" in spec:
        return str(spec["kind"])
    for kind in ("measure", "formula", "custom"):
        if kind in spec:
            return kind
    return "rating" if "scale" in spec else "measure"


def score_rule(spec: Mapping[str, Any]) -> str | None:
    """Which scoring rule a score mapping declares, or None when it declares none."""
    for key, rule in (("curve", "curve"), ("bands", "bands"), ("ratio_to_target", "ratio_to_target"), ("formula", "formula")):
        if spec.get(key):
            return rule
    return None


def indicator_direction(spec: Mapping[str, Any]) -> str:
    """Higher or lower is better: declared, or read off the curve's worst and best."""
    if "direction" in spec:
        return str(spec["direction"])
    score = spec.get("score") or {}
    if "worst" in score and "best" in score:
        return "lower" if score["best"] < score["worst"] else "higher"
    bands = sorted(
        (parse_interval(band["range"]).low, band["score"]) for band in score.get("bands", []) if _is_interval(band["range"])
    )
    if len(bands) > 1 and bands[0][1] > bands[-1][1]:
        return "lower"
    return "higher"


def _is_interval(text: str) -> bool:
    try:
        parse_interval(text)
    except ValueError:
        return False
    return True


def grade_bands(grades: Any) -> list[tuple[str, float, float, Any]]:
    """Grades as (name, min, max, title), whichever of the two forms the scheme used."""
    if isinstance(grades, dict):
        ordered = sorted(grades.items(), key=lambda item: -item[1])
        uppers = [math.inf] + [low for _, low in ordered[:-1]]
        return [(name, low, high, None) for (name, low), high in zip(ordered, uppers, strict=True)]
    return [(g["grade"], g["min"], g.get("max", math.inf), g.get("title")) for g in grades]


def _source(spec: Mapping[str, Any], base: Path) -> Source:
    return Source(spec["source"], (base / spec["path"]).resolve(), MappingProxyType(dict(spec.get("options", {}))))


def _constants(declared: Mapping[str, Any]) -> Mapping[str, Any]:
    """Scheme constants, read-only all the way down: a map constant is shared by every row."""
    return MappingProxyType({
        name: MappingProxyType(dict(value)) if isinstance(value, Mapping) else value
        for name, value in declared.items()
    })


def build_scheme(document: Document, parsed: Mapping[tuple, Expression]) -> Scheme:
    """Turn a linted document and its parsed expressions into a `Scheme`."""
    data = document.data
    base = Path(document.file).resolve().parent

    def expr(*path: str | int) -> Expression | None:
        return parsed.get(tuple(path))

    datasets = {
        name: Dataset(
            name=name,
            source=_source(spec, base),
            period_by=spec.get("period_by"),
            columns=MappingProxyType(dict(spec.get("columns", {}))),
            key=spec.get("key"),
            appraisee=spec.get("appraisee"),
            via=Via(spec["via"]["dataset"], spec["via"]["on"], spec["via"].get("order_by")) if "via" in spec else None,
            repeats=Repeats.from_spec(spec["repeats"]) if "repeats" in spec else None,
        )
        for name, spec in data.get("datasets", {}).items()
    }
    indicators = []
    for i, spec in enumerate(data["indicators"]):
        measure = None
        if "measure" in spec:
            m = spec["measure"]
            parts = {
                side: Part(expr("indicators", i, "measure", side, "where"), expr("indicators", i, "measure", side, "of"))
                for side in ("numerator", "denominator")
                if side in m
            }
            measure = Measure(
                dataset=m["dataset"],
                agg=m["agg"],
                of=expr("indicators", i, "measure", "of"),
                where=expr("indicators", i, "measure", "where"),
                percentile=m.get("percentile"),
                numerator=parts.get("numerator"),
                denominator=parts.get("denominator"),
                min_count=m.get("min_count", 1),
                attribution=m.get("attribution", "all"),
            )
        score = None
        if "score" in spec:
            s = spec["score"]
            score = Score(
                rule=score_rule(s) or "curve",
                worst=s.get("worst"),
                best=s.get("best"),
                cap=float(s.get("cap", 100)),
                floor=float(s.get("floor", 0)),
                bands=tuple(Band(parse_interval(b["range"]), float(b["score"])) for b in s.get("bands", [])),
                default=s.get("default"),
                formula=expr("indicators", i, "score", "formula"),
            )
        target = spec.get("target")
        if isinstance(target, dict):
            target = TargetFrom(target["dataset"], target["column"])
        indicators.append(
            Indicator(
                id=spec["id"],
                title=as_text(spec["title"]),
                definition=as_text(spec.get("definition")),
                kind=indicator_kind(spec),
                unit=spec.get("unit", ""),
                direction=indicator_direction(spec),
                weight=float(spec["weight"]),
                measure=measure,
                formula=expr("indicators", i, "formula"),
                custom=MappingProxyType(dict(spec["custom"])) if "custom" in spec else None,
                scale=tuple(spec["scale"]) if "scale" in spec else None,  # type: ignore[arg-type]
                target=target,
                score=score,
                raters=tuple(
                    RaterGroup(name, float(g["weight"]), int(g.get("min", 1)), tuple(g["scale"]) if "scale" in g else None)  # type: ignore[arg-type]
                    for name, g in spec.get("raters", {}).items()
                ),
                trim=int(spec.get("trim", 0)),
                window=str(spec.get("window", "period")),
            )
        )
    roster = None
    if "roster" in data:
        r = data["roster"]
        roster = Roster(
            _source(r, base),
            r["key"],
            MappingProxyType(dict(r.get("columns", {}))),
            MappingProxyType({f: r[f] for f in ROSTER_FIELDS if f in r}),
        )
    limits = data.get("adjustment_limits", {})
    return Scheme(
        id=data["scheme"],
        version=data["version"],
        title=as_text(data["title"]),
        description=as_text(data.get("description")),
        role=data.get("role"),
        period=data["period"],
        timezone=data.get("timezone", "UTC"),
        roster=roster,
        datasets=MappingProxyType(datasets),
        ratings=_source(data["ratings"], base) if "ratings" in data else None,
        constants=_constants(data.get("constants", {})),
        exclusions=tuple(
            Exclusion(e["dataset"], parsed[("exclusions", i, "where")], as_text(e["reason"]))
            for i, e in enumerate(data.get("exclusions", []))
        ),
        missing_data=data.get("missing_data", "reweight"),
        indicators=tuple(indicators),
        gates=tuple(
            Gate(parsed[("gates", i, "when")], as_text(g["reason"]), g.get("cap_total"), bool(g.get("veto", False)))
            for i, g in enumerate(data.get("gates", []))
        ),
        adjustments=tuple(
            Adjustment(parsed[("adjustments", i, "when")], float(a["points"]), as_text(a["reason"]))
            for i, a in enumerate(data.get("adjustments", []))
        ),
        max_bonus=limits.get("max_bonus"),
        max_penalty=limits.get("max_penalty"),
        grades=tuple(Grade(name, low, high, as_text(title)) for name, low, high, title in grade_bands(data["grades"])),
        calibration=MappingProxyType(dict(data.get("calibration", {}))),
        source=document.file,
        digest=document.digest,
        incentives=_incentives(data.get("incentives")),
        calendar=_calendar(data.get("calendar")),
        quadrant=MappingProxyType(dict(data["quadrant"])) if "quadrant" in data else None,
    )


def _calendar(spec: Mapping[str, Any] | None) -> Calendar:
    if not spec:
        return Calendar()
    opens, closes = spec.get("hours", ("09:00", "18:00"))
    return Calendar(opens, closes, tuple(spec.get("days", (1, 2, 3, 4, 5))),
                    tuple(spec.get("holidays", ())), tuple(spec.get("workdays", ())))


def _incentives(spec: Mapping[str, Any] | None) -> Incentives | None:
    if not spec:
        return None
    base = spec.get("base")
    commission = spec.get("commission") or {}
    return Incentives(
        coefficients=MappingProxyType({str(k): float(v) for k, v in spec.get("coefficients", {}).items()}),
        base=TargetFrom(base["dataset"], base["column"]) if isinstance(base, dict) else base,
        bonus_cap=spec.get("bonus_cap"),
        commission_from=TargetFrom(commission["dataset"], commission["column"]) if commission else None,
        commission_rate=float(commission.get("rate", 0.0)),
        commission_cap=commission.get("cap"),
        currency=str(spec.get("currency", "")),
    )
