"""The result of an appraisal: immutable, self-describing evidence.

A `Result` records what was computed (values, scores, contributions, totals, grades), how
(a trace per cell: where the value came from, the rows behind it, the rule applied) and from
what (the scheme's hash, the data's fingerprint, the package and plugin versions). It is
written as JSON and read back unchanged, so rendering and explaining never recompute scores.
The JSON shape (`as_dict`) is the stable contract templates and tools read.

Explanations are recorded twice: as English sentences (`rule`, `steps`, `effect`, `status`), which
JSON readers and `appraisal explain` have always read, and as phrasebook parts (`rule_parts`,
`step_parts`, `effect_parts`, `status_parts`: a `key` and its numbers), which reports phrase in
their own language (`appraisal.rendering.phrasing`). Results stored before the parts existed read back with
them empty, and reports fall back to the English. Texts the scheme supplies per language are stored as {language: text}:
a cell's `title`, an effect's `reason_text` (beside `reason`, its English, kept for JSON readers);
a result stored before reasons could be translated reads back with `reason_text` = {en: reason}.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, TextIO

from appraisal.scheme.model import as_text

FORMAT = "appraisal-result/1"
STORED_FORMAT = "appraisal-result/2"  # the appraisees in a file beside result.json (appraisal.results.stored)


@dataclass(frozen=True)
class ScoredCell:
    """One appraisee's indicator: value, points, weight and contribution, with its trace."""

    indicator: str
    title: Mapping[str, str]
    unit: str
    kind: str
    value: float | None
    rows: int
    status: str
    target: float | None
    score: float | None
    weight: float
    effective_weight: float
    contribution: float | None
    rule: str
    source: str
    flags: tuple[str, ...] = ()
    rule_parts: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Effect:
    """A gate or an adjustment: its condition, what it does, and whether it applied."""

    kind: str  # "gate" or "adjustment"
    when: str
    reason: str  # in English (or the first language the scheme gave), as JSON readers always had it
    effect: str
    applied: bool
    points: float | None = None
    effect_parts: Mapping[str, Any] | None = None
    reason_text: Mapping[str, str] = field(default_factory=dict)  # {language: text}, as the scheme gave it

    def __post_init__(self) -> None:
        if not self.reason_text:  # a reason given once is that text in every language
            object.__setattr__(self, "reason_text", {"en": self.reason})


@dataclass(frozen=True)
class AppraiseeResult:
    id: str
    name: str | None
    team: str | None
    manager: str | None
    role: str | None
    flags: tuple[str, ...]
    cells: tuple[ScoredCell, ...]
    weighted_total: float | None
    adjustment_points: float
    total: float | None
    grade: str | None
    status: str
    effects: tuple[Effect, ...] = ()
    steps: tuple[str, ...] = ()
    incentives: Mapping[str, Any] | None = None
    step_parts: tuple[Mapping[str, Any], ...] = ()
    status_parts: Mapping[str, Any] | None = None

    def cell(self, indicator: str) -> ScoredCell:
        for cell in self.cells:
            if cell.indicator == indicator:
                return cell
        raise KeyError(indicator)


@dataclass(frozen=True)
class GroupResult:
    """A group's figures from the rows of all its members pooled (a team's resolution rate is
    its resolved tickets over its tickets, not a mean of its people's rates), appraised by the
    scheme's rules: `by` team, manager or roster; `key` the team, the manager, or `all`."""

    by: str
    key: str
    members: int
    appraisal: AppraiseeResult


@dataclass(frozen=True)
class Result:
    """Everything one run produced, and what it was produced from."""

    scheme: Mapping[str, Any]
    period: Mapping[str, str]
    provenance: Mapping[str, Any]
    appraisees: Sequence[AppraiseeResult]  # a tuple, or a run's file read when first needed (results.stored)
    quality: tuple[Mapping[str, Any], ...]
    queries: Mapping[str, Mapping[str, Any]]
    grades: tuple[Mapping[str, Any], ...]
    calibration: tuple[Mapping[str, Any], ...] = field(default=())
    groups: tuple[GroupResult, ...] = field(default=())
    # what accepted appeals changed, when this run is a corrected version (appraisal.measuring.corrections)
    corrections: tuple[Mapping[str, Any], ...] = field(default=())

    def appraisee_ids(self) -> list[str]:
        """Everyone's id, also when only some appraisees were read (`storing.load_run(appraisee=)`)."""
        ids = getattr(self.appraisees, "ids", None)
        return ids() if ids is not None else [a.id for a in self.appraisees]

    def appraisee(self, appraisee_id: str) -> AppraiseeResult:
        for found in self.appraisees:
            if found.id == appraisee_id:
                return found
        raise KeyError(appraisee_id)

    def as_dict(self) -> dict[str, Any]:
        """The result.json contract: plain dicts, lists and scalars, every container a new one.

        The copy makes no reference cycles, so the cyclic collector is paused while it is made:
        at 10,000 appraisees its passes over the growing copy were half the time (1.2 s of 2.2,
        1.0 without them)."""
        with _collector_paused():
            return {"format": FORMAT, **_plain(self.__dict__)}

    def write_json(self, handle: TextIO) -> None:
        """Write `json.dumps(self.as_dict())` to `handle`, one appraisee at a time.

        The C encoder walks the dataclasses themselves (`_encodable` hands it each one's own
        field dict) instead of `as_dict`'s copy of every dict, and the appraisees go out one by
        one, so neither the copy nor the whole text (hundreds of megabytes at 100,000
        appraisees) is ever held in memory."""
        encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_encodable).encode
        stored = getattr(self.appraisees, "header", None)  # kept in a file: result.json says which
        handle.write('{"format": ' + encode(FORMAT if stored is None else STORED_FORMAT))
        for name, value in self.__dict__.items():
            handle.write(f", {encode(name)}: ")
            if name != "appraisees":
                handle.write(encode(value))
                continue
            if stored is not None:
                handle.write(encode(stored()))
                continue
            handle.write("[")
            for n, appraisee in enumerate(value):
                handle.write(", " + encode(appraisee) if n else encode(appraisee))
            handle.write("]")
        handle.write("}")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (if it was on): for building large
    acyclic data, which reference counting alone frees."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


_SCALARS = (str, float, int, bool, type(None))


def _encodable(value: Any) -> Any:
    """What the JSON encoder cannot take itself: a dataclass as its fields (its own dict, not a
    copy: the encoder only reads it), a read-only mapping as a dict."""
    if hasattr(value, "__dataclass_fields__"):
        return value.__dict__
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not part of a result")


_SCALAR_TYPES = frozenset(_SCALARS)


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` for this module's frozen dataclasses, without its deep copies of
    every scalar (a third of a run's time at 100,000 appraisees); tuples become lists, as JSON
    has them. Exact types first, scalars inline: a scheme's ten cells per appraisee make this
    millions of calls, and the abstract `Mapping`/`Sequence` checks cost more than the copying."""
    kind = type(value)
    if kind in _SCALAR_TYPES:
        return value
    if kind is dict:
        return {key: item if type(item) in _SCALAR_TYPES else _plain(item) for key, item in value.items()}
    if kind is tuple or kind is list:
        return [item if type(item) in _SCALAR_TYPES else _plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        found = dict(value.__dict__)
        for key in _containers(value.__class__):
            found[key] = _plain(found[key])
        return found
    if isinstance(value, _SCALARS):  # a subclass of a scalar type (an enum of texts, say)
        return value
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence):  # a run's appraisees kept in a file (results.stored)
        return [_plain(item) for item in value]
    return value


@cache
def _containers(kind: type) -> tuple[str, ...]:
    """The fields of a dataclass that may hold containers (by their annotation): only those
    need converting; a number or a text is taken as it is (half a million cells at 100,000)."""
    scalar = {"str", "int", "float", "bool", "str | None", "int | None", "float | None", "bool | None"}
    return tuple(f.name for f in fields(kind) if str(f.type) not in scalar)


def _tuple(items: Any) -> tuple[Any, ...]:
    return tuple(items or ())


def _appraisee_from_dict(a: Mapping[str, Any]) -> AppraiseeResult:
    return AppraiseeResult(
        **{
            **a,
            "flags": _tuple(a["flags"]),
            "cells": tuple(ScoredCell(**{**c, "flags": _tuple(c["flags"])}) for c in a["cells"]),
            "effects": tuple(Effect(**{**e, "reason_text": dict(as_text(e.get("reason_text") or e["reason"]))})
                             for e in a["effects"]),  # results stored before reason_text: from reason
            "steps": _tuple(a["steps"]),
            "step_parts": _tuple(a.get("step_parts")),
        }
    )


def result_from_dict(data: Mapping[str, Any]) -> Result:
    """Read back what `Result.as_dict` wrote (lists become tuples again)."""
    return Result(
        scheme=data["scheme"],
        period=data["period"],
        provenance=data["provenance"],
        appraisees=tuple(_appraisee_from_dict(a) for a in data["appraisees"]),
        quality=_tuple(data["quality"]),
        queries=data["queries"],
        grades=_tuple(data["grades"]),
        calibration=_tuple(data.get("calibration")),
        groups=tuple(GroupResult(g["by"], g["key"], g["members"], _appraisee_from_dict(g["appraisal"]))
                     for g in data.get("groups") or ()),  # results stored before group rows: none
        corrections=_tuple(data.get("corrections")),
    )
