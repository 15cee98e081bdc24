"""Build the model (appraisal.scheme.model) from a checked document: defaults resolved once.

The lint reads a few of these rules too (an indicator's kind, its score rule, the grade
bands), so that what it checks and what is built agree by construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appraisal.scheme.intervals import parse_interval
from appraisal.scheme.loading import Document, KeyPath
from appraisal.scheme.model import (
    APPEAL_DAYS,
    ROSTER_FIELDS,
    TABLE_SOURCE,
    Adjustment,
    Band,
    Calendar,
    ColumnFormat,
    Dataset,
    Exclusion,
    Gate,
    Grade,
    Incentives,
    Indicator,
    Measure,
    Part,
    RaterGroup,
    Roster,
    Scheme,
    Score,
    Source,
    TargetFrom,
    Via,
    as_text,
)
from appraisal.scheme.repeat_rules import Repeats

if TYPE_CHECKING:
    from appraisal.expressions.parsing import Expression


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
    for key, rule in (("curve", "curve"), ("bands", "bands"), ("ratio_to_target", "ratio_to_target"),
                      ("formula", "formula")):
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
        (parse_interval(band["range"]).low, band["score"])
        for band in score.get("bands", [])
        if _is_interval(band["range"])
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
    if spec["source"] == TABLE_SOURCE:
        return Source(TABLE_SOURCE, Path(), MappingProxyType(dict(spec.get("options", {}))),
                      MappingProxyType(dict(spec.get("rename", {}))), table=spec["table"])
    return Source(spec["source"], (base / spec["path"]).resolve(), MappingProxyType(dict(spec.get("options", {}))),
                  MappingProxyType(dict(spec.get("rename", {}))), written=spec["path"])


def column_kind(declared: str | Mapping[str, Any]) -> str:
    """A declared column's type, from the short form (`timestamp`) or the long one (`{type: timestamp, ...}`)."""
    return declared if isinstance(declared, str) else str(declared["type"])


def column_kinds(columns: Mapping[str, Any]) -> dict[str, str]:
    """Declared columns by name and type, whichever form each is declared in."""
    return {name: column_kind(declared) for name, declared in columns.items()}


def column_formats(columns: Mapping[str, Any]) -> Mapping[str, ColumnFormat]:
    """The long-form columns' formats and date-and-time sources (see `model.ColumnFormat`)."""
    found = {}
    for name, declared in columns.items():
        if isinstance(declared, Mapping) and declared.keys() - {"type"}:
            given = declared.get("format", ())
            formats = (given,) if isinstance(given, str) else tuple(given)
            found[name] = ColumnFormat(formats, declared.get("date"), declared.get("time"))
    return MappingProxyType(found)


def _constants(declared: Mapping[str, Any]) -> Mapping[str, Any]:
    """Scheme constants, read-only all the way down: a map constant is shared by every row."""
    return MappingProxyType({
        name: MappingProxyType(dict(value)) if isinstance(value, Mapping) else value
        for name, value in declared.items()
    })


def build_scheme(document: Document, parsed: Mapping[KeyPath, Expression]) -> Scheme:
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
            as_of=spec.get("as_of"),
            columns=MappingProxyType(column_kinds(spec.get("columns", {}))),
            key=spec.get("key"),
            appraisee=spec.get("appraisee"),
            via=Via(spec["via"]["dataset"], spec["via"]["on"], spec["via"].get("order_by")) if "via" in spec else None,
            repeats=Repeats.from_spec(spec["repeats"]) if "repeats" in spec else None,
            formats=column_formats(spec.get("columns", {})),
            first_by=tuple(spec.get("first_by", ())),
        )
        for name, spec in data.get("datasets", {}).items()
    }
    indicators = []
    for i, spec in enumerate(data["indicators"]):
        measure = None
        if "measure" in spec:
            m = spec["measure"]
            parts = {
                side: Part(expr("indicators", i, "measure", side, "where"),
                           expr("indicators", i, "measure", side, "of"))
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
                scale=tuple(spec["scale"]) if "scale" in spec else None,
                target=target,
                score=score,
                raters=tuple(
                    RaterGroup(name, float(g["weight"]), int(g.get("min", 1)),
                               tuple(g["scale"]) if "scale" in g else None)
                    for name, g in spec.get("raters", {}).items()
                ),
                trim=int(spec.get("trim", 0)),
                window=str(spec.get("window", "period")),
                target_scale=spec.get("target_scale"),
            )
        )
    roster = None
    if "roster" in data:
        r = data["roster"]
        roster = Roster(
            _source(r, base),
            r["key"],
            MappingProxyType(column_kinds(r.get("columns", {}))),
            MappingProxyType({f: r[f] for f in ROSTER_FIELDS if f in r}),
            column_formats(r.get("columns", {})),
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
        profile=data.get("profile"),
        appeals=MappingProxyType({**APPEAL_DAYS, **{k: v for k, v in data.get("appeals", {}).items()
                                                   if not k.startswith("x-")}}),
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
        quality=_frozen(data.get("quality") or {}),
        target_scale=(data.get("targets") or {}).get("scale"),
    )


def _frozen(value: Any) -> Any:
    """A mapping read-only all the way down (the `quality:` block as written)."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value


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
        employees_see_pay=bool(spec.get("employees_see_pay", False)),
    )
