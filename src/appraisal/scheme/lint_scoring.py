"""The semantic lint's checks of scoring: score rules, curves and bands, grades, calibration
and incentives (the rest of the lint is in `lint`).

A target must lie on its curve's side, bands must not overlap and need a default, grade
bands neither gap nor overlap and reach down to 0, calibration shares sum to 1, incentives
name real grades. Each check adds located problems; none stops the others.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from appraisal.scheme.building import grade_bands, score_rule
from appraisal.scheme.intervals import IntervalError, parse_interval
from appraisal.scheme.loading import KeyPath


def fmt(x: float) -> str:
    """A number as an author wrote it (100, not 100.0)."""
    return f"{x:g}"


class ScoringChecks:
    """Mixed into the linter, whose `add`, `unknown`, `expression`, `dataset_ref`, `column_ref`
    and `scheme_names` these checks use."""

    data: dict[str, Any]

    if TYPE_CHECKING:  # provided by the linter this is mixed into; declared for type checkers
        def add(self, path: KeyPath, message: str, *, key: bool = False, offset: int | None = None) -> None: ...

        def unknown(self, path: KeyPath, what: str, name: str, known: Iterable[str], where: str = "") -> None: ...

        def expression(
            self, path: KeyPath, names: Mapping[str, Any], wants: str = "any", dataset: str | None = None
        ) -> None: ...

        def scheme_names(self, *special: str) -> dict[str, Any]: ...

        def dataset_ref(self, path: KeyPath, name: str) -> bool: ...

        def column_ref(self, path: KeyPath, dataset: str, column: str) -> None: ...

    def check_score(self, path: KeyPath, spec: Mapping[str, Any]) -> None:
        score = spec["score"]
        spath = (*path, "score")
        rules = [key for key in ("curve", "bands", "ratio_to_target", "formula") if score.get(key)]
        if len(rules) > 1:
            self.add(spath, f"score has both {rules[0]!r} and {rules[1]!r}; keep one rule")
            return
        rule = score_rule(score)
        if rule is None:
            self.add(spath, "score needs a rule: 'curve: linear', 'bands', 'ratio_to_target: true' or 'formula'")
            return
        if score.get("cap", 100) < score.get("floor", 0):
            self.add((*spath, "cap"), "cap is below floor")
        foreign = {"curve": ("bands", "default"), "bands": ("worst", "best")}.get(
            rule, ("worst", "best", "bands", "default"))
        for key in foreign:
            if key in score:
                self.add((*spath, key), f"{key!r} does not apply to a {rule.replace('_', ' ')} score", key=True)
        target = spec.get("target")
        if rule == "curve":
            self.check_curve(path, spec, score, target)
        elif rule == "bands":
            self.check_bands(spath, score)
        elif rule == "ratio_to_target":
            if target is None:
                self.add(spath, "a ratio-to-target score needs a 'target'")
            elif target == 0:
                self.add((*path, "target"), "a ratio-to-target score cannot divide by a target of 0")
        else:
            self.expression((*spath, "formula"), self.scheme_names("value", "target"), "number")

    def check_curve(self, path: KeyPath, spec: Mapping[str, Any], score: Mapping[str, Any], target: Any) -> None:
        spath = (*path, "score")
        if "worst" not in score or "best" not in score:
            self.add(spath, "a linear curve needs 'worst' (0 points) and 'best' (the cap)")
            return
        worst, best = score["worst"], score["best"]
        if worst == best:
            self.add((*spath, "best"), "worst and best are equal, so the curve has no slope")
            return
        curve_direction = "lower" if best < worst else "higher"
        declared = spec.get("direction")
        if declared and declared != curve_direction:
            side = "below" if best < worst else "above"
            self.add((*path, "direction"),
                     f"direction is {declared!r} but the curve's best ({fmt(best)}) is {side} its worst ({fmt(worst)})")
            return
        if target is None:
            self.add(spath, "a linear curve passes through the target: add a 'target'")
            return
        if isinstance(target, dict):
            return
        low, high = sorted((worst, best))
        inside = low < target < high or (target == best and score.get("cap", 100) == 100)
        if not inside:
            better = "lower" if curve_direction == "lower" else "higher"
            self.add(
                (*path, "target"),
                f"target {fmt(target)} does not lie between worst ({fmt(worst)}) and best ({fmt(best)}) "
                f"for a {better}-is-better indicator",
            )

    def check_bands(self, spath: KeyPath, score: Mapping[str, Any]) -> None:
        if "default" not in score:
            self.add(spath, "band table has no 'default': add the points for values outside every band")
        parsed = []
        for j, band in enumerate(score["bands"]):
            try:
                parsed.append((j, parse_interval(band["range"])))
            except IntervalError as exc:
                self.add((*spath, "bands", j, "range"), str(exc))
        for a in range(len(parsed)):
            for b in range(a + 1, len(parsed)):
                (i, first), (j, second) = parsed[a], parsed[b]
                if first.overlaps(second):
                    self.add((*spath, "bands", j, "range"), f"band {second} overlaps band {first} (bands[{i}])")

    def check_grades(self) -> None:
        if "grades" not in self.data:  # it failed the schema
            return
        grades = self.data["grades"]
        bands = grade_bands(grades)
        seen: dict[str, int] = {}
        for i, (name, _, _, _) in enumerate(bands):
            if name in seen:
                at = ("grades", i, "grade") if isinstance(grades, list) else ("grades", name)
                self.add(at, f"duplicate grade {name!r}")
            seen[name] = i
        if isinstance(grades, list):
            for i, g in enumerate(grades):
                if "max" in g and g["max"] <= g["min"]:
                    self.add(("grades", i, "max"), f"max ({fmt(g['max'])}) must be above min ({fmt(g['min'])})")
            ordered = sorted(range(len(bands)), key=lambda k: bands[k][1])
            for lower, upper in itertools.pairwise(ordered):
                low_band, high_band = bands[lower], bands[upper]
                if low_band[2] < high_band[1]:
                    self.add(("grades", upper, "min"), f"grades leave a gap: no grade for totals from "
                                                       f"{fmt(low_band[2])} up to {fmt(high_band[1])}")
                elif low_band[2] > high_band[1]:
                    self.add(("grades", upper, "min"),
                             f"grades {low_band[0]} and {high_band[0]} overlap from {fmt(high_band[1])} "
                             f"up to {fmt(min(low_band[2], high_band[2]))}")
            top = ordered[-1]
            if not math.isinf(bands[top][2]):
                self.add(("grades", top),
                         f"the top grade {bands[top][0]!r} must have no 'max', so every high total gets a grade")
        lowest = min(band[1] for band in bands)
        if lowest > 0:
            self.add(("grades",), f"no grade for totals below {fmt(lowest)}: the lowest grade must start at 0 or below")

    def check_incentives(self) -> None:
        incentives = self.data.get("incentives")
        if not incentives:
            return
        names = [band[0] for band in grade_bands(self.data["grades"])] if "grades" in self.data else []
        for name in incentives.get("coefficients", {}) if "grades" in self.data else ():
            if name not in names:
                self.unknown(("incentives", "coefficients", name), "grade", name, names)
        for key in ("base", "commission"):
            ref = incentives.get(key)
            if isinstance(ref, dict) and self.dataset_ref(("incentives", key, "dataset"), ref["dataset"]):
                self.column_ref(("incentives", key, "column"), ref["dataset"], ref["column"])
        if "base" in incentives and not incentives.get("coefficients"):
            self.add(("incentives",), "a bonus base needs 'coefficients': the bonus coefficient of each grade")

    def check_calibration(self) -> None:
        shares = self.data.get("calibration")
        if not shares:
            return
        names = [band[0] for band in grade_bands(self.data["grades"])] if "grades" in self.data else []
        for name in shares if "grades" in self.data else ():
            if name not in names:
                self.unknown(("calibration", name), "grade", name, names)
        total = sum(shares.values())
        if abs(total - 1) > 1e-6:
            self.add(("calibration",), f"calibration shares sum to {total:g}, not 1")
