"""The semantic lint: what JSON Schema cannot say about a scheme.

Weights sum to 100, every reference resolves, every expression is safe and names only what
is declared, formulas do not depend on each other in a circle. The checks of score rules,
grades, calibration and incentives are in `lint_scoring`, those of map constants in
`lint_maps`, those of the `quality:` block in `quality_levels`. Each check adds located problems; none stops the others.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from appraisal.errors import ExpressionError, Problem
from appraisal.expressions.kinds import Kind, KindError, check_kinds, column_kind, value_kind
from appraisal.expressions.parsing import NameKind, literal_keys, parse_expression
from appraisal.scheme.building import column_kinds, indicator_kind
from appraisal.scheme.lint_columns import lint_columns, lint_rename
from appraisal.scheme.lint_maps import map_constant_problems, unknown_key
from appraisal.scheme.lint_names import name_problems
from appraisal.scheme.lint_plugins import custom_problems
from appraisal.scheme.lint_scoring import ScoringChecks, fmt
from appraisal.scheme.lint_tables import table_problems
from appraisal.scheme.loading import Document, KeyPath
from appraisal.scheme.model import AS_OF_PERIOD, ROSTER_FIELDS, TABLE_SOURCE
from appraisal.scheme.quality_levels import lint_quality
from appraisal.scheme.repeat_rules import added_columns, lint_repeats
from appraisal.scheme.schema_parts import SetAside
from appraisal.suggestions import suggest

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.expressions.parsing import Expression
    from appraisal.measuring.custom import CustomIndicatorRegistry
    from appraisal.registry import Registry

def _placed(spec: Mapping[str, Any]) -> bool:
    """Rows placed in a period: by a time column, or as a snapshot."""
    return "period_by" in spec or "as_of" in spec


_NEEDS_OF = {"sum", "mean", "median", "percentile", "min", "max", "count_distinct"}
_TOLERANCE = 1e-9



class _Linter(ScoringChecks):
    def __init__(self, document: Document, functions: FunctionRegistry, set_aside: SetAside):
        self.doc = document
        self.data: dict[str, Any] = document.data
        self.functions = functions
        self.aside = set_aside  # parts that failed the schema (see appraisal.scheme.schema_parts)
        self.engine: str | None = None  # the engine the scheme must run on, if `validate` was told
        self.problems: list[Problem] = []
        self.parsed: dict[KeyPath, Expression] = {}
        # Declared columns as name -> type, whichever form each is written in (the long form's
        # format and date/time parts are lint_columns' to check).
        self.datasets: dict[str, Any] = {
            name: {**spec, "columns": column_kinds(spec["columns"])} if "columns" in spec else spec
            for name, spec in self.data.get("datasets", {}).items()
        }
        self.constants: dict[str, Any] = self.data.get("constants", {})
        self.indicator_ids = [spec["id"] for _, spec in self.items("indicators")] + sorted(set_aside.indicators)

    # -- helpers -----------------------------------------------------------------
    def items(self, key: str) -> list[tuple[int, Any]]:
        """(index, item) of a top-level list, without the items that failed the schema."""
        return [(i, item) for i, item in enumerate(self.data.get(key, [])) if (key, i) not in self.aside.items]

    def add(self, path: KeyPath, message: str, *, key: bool = False, offset: int | None = None) -> None:
        self.problems.append(self.doc.problem(path, message, key=key, offset=offset))

    def unknown(self, path: KeyPath, what: str, name: str, known: Iterable[str], where: str = "") -> None:
        known = list(known)
        near = suggest(name, known)
        if near:
            hint = f"; did you mean {near!r}?"
        elif known:
            hint = f"; known: {', '.join(known)}"
        else:
            hint = "; none is declared"
        self.add(path, f"unknown {what} {name!r}{where}{hint}")

    def expression(
        self, path: KeyPath, names: Mapping[str, Any], wants: str = "any", dataset: str | None = None
    ) -> None:
        """Parse and check the expression at `path`: its names, then the kinds of its values
        (`wants`: what the place needs, a `number`, a `condition` or `any`), so that what
        validates also runs."""
        if self.aside.names_unsure:  # a whole list of names failed the schema: no name can be judged
            return
        source = self._get(path)
        try:
            self.parsed[path] = parse_expression(source, names=names, functions=self.functions)
        except ExpressionError as exc:
            self.add(path, exc.message, offset=exc.offset)
            return
        for name, key, offset in literal_keys(self.parsed[path]):
            # the checker let only map constants be subscripted
            if name in self.constants and key not in self.constants[name]:
                self.add(path, unknown_key(name, key, self.constants[name]), offset=offset)
        maps = {n: v for n, v in self.constants.items() if isinstance(v, Mapping)}
        try:
            check_kinds(self.parsed[path], self.kinds(names, dataset), maps, self.functions, wants)
        except KindError as exc:
            self.add(path, exc.message, offset=exc.offset)

    def kinds(self, names: Mapping[str, Any], dataset: str | None) -> dict[str, Kind]:
        """The kind of every name: columns as declared, constants by value, indicators numbers."""
        spec = self.datasets.get(dataset, {}) if dataset else {}
        columns = {**spec.get("columns", {}), **added_columns(spec, self.datasets)}
        kinds: dict[str, Kind] = {}
        for name, kind in names.items():
            if kind is NameKind.COLUMN:
                kinds[name] = column_kind(columns.get(name))
            elif name in self.constants:
                kinds[name] = value_kind(self.constants[name])
            else:
                kinds[name] = Kind.NUMBER
        return kinds

    def _get(self, path: KeyPath) -> Any:
        node: Any = self.data
        for part in path:
            node = node[part]
        return node

    def constant_names(self) -> dict[str, Any]:
        declared = {**self.aside.constants, **self.constants}
        return {name: NameKind.MAPPING if isinstance(value, dict) else NameKind.CONSTANT
                for name, value in declared.items()}

    def column_names(self, dataset: str) -> dict[str, Any]:
        spec = self.datasets.get(dataset, {})
        columns = {**spec.get("columns", {}), **added_columns(spec, self.datasets)}
        return {**self.constant_names(), **{name: NameKind.COLUMN for name in columns}}

    def scheme_names(self, *special: str) -> dict[str, Any]:
        names = {**self.constant_names(), **{i: NameKind.INDICATOR for i in self.indicator_ids}}
        names.update({name: NameKind.SPECIAL for name in special})
        return names

    def dataset_ref(self, path: KeyPath, name: str) -> bool:
        if name in self.datasets:
            return True
        if name in self.aside.datasets or "datasets" in self.aside.keys:
            return False  # it failed the schema: what refers to it is not followed
        self.unknown(path, "dataset", name, self.datasets)
        return False

    def column_ref(self, path: KeyPath, dataset: str, column: str) -> None:
        spec = self.datasets.get(dataset, {})
        columns = {**spec["columns"], **added_columns(spec, self.datasets)} if "columns" in spec else None
        if columns is not None and column not in columns:
            self.unknown(path, "column", column, columns, where=f" in dataset {dataset!r}")

    # -- checks ------------------------------------------------------------------
    def run(self) -> None:
        self.check_timezone()
        self.check_constants()
        self.check_reading()
        self.check_names()
        self.check_roster()
        self.check_datasets()
        self.check_exclusions()
        self.check_indicators()
        self.check_weights()
        self.check_formula_cycles()
        self.check_gates()
        self.check_grades()
        self.check_calibration()
        self.check_incentives()
        self.check_calendar()
        self.check_quadrant()
        self.check_quality()

    def check_sources(self, sources: Registry[Any]) -> None:
        """Every `source:` names a registered source plugin (checked here, before any file is read)."""
        declared: list[tuple[KeyPath, str]] = [((name,), spec["source"]) for name, spec in (
            ("roster", self.data.get("roster")), ("ratings", self.data.get("ratings"))) if spec]
        declared += [(("datasets", name), spec["source"]) for name, spec in self.datasets.items()]
        for path, source in declared:
            if source == TABLE_SOURCE:
                continue  # the database's own (appraisal.engines.tables), no plugin's
            if source not in sources:
                self.add((*path, "source"), f"unknown source {source!r}; {sources.hint(source)}")
        for path, message in table_problems(self.data, self.engine):
            self.add(path, message)

    def check_timezone(self) -> None:
        name = self.data.get("timezone")
        if name is None:
            return
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.add(("timezone",), f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai or UTC")

    def check_constants(self) -> None:
        for name in self.constants:
            if not name.isidentifier():
                self.add(("constants", name),
                         f"constant {name!r} cannot be named in expressions: use letters, digits and _", key=True)
            if name in self.indicator_ids:
                self.add(("constants", name), f"constant {name!r} has the same name as an indicator", key=True)
            for where, message in map_constant_problems(("constants", name), self.constants[name]):
                self.add(where, message)

    def check_reading(self) -> None:
        """How files are read: each source's `rename` and the long form of declared columns."""
        for path, spec in [(("roster",), self.data.get("roster")), (("ratings",), self.data.get("ratings"))] + [
            (("datasets", name), spec) for name, spec in self.data.get("datasets", {}).items()
        ]:
            if spec:
                lint_rename(path, spec, self.add)
                lint_columns(path, spec.get("columns") or {}, self.add)

    def check_names(self) -> None:
        """No declared name mixes scripts or looks like another (see `lint_names`)."""
        def line_of(path: KeyPath, key: bool) -> int | None:
            found = self.doc.locate(path, key=key)
            return found.line if found else None

        for path, key, message in name_problems(self.data, line_of):
            self.add(path, message, key=key)

    def check_roster(self) -> None:
        roster = self.data.get("roster")
        if not roster or "columns" not in roster:
            return
        for field in ("key", *ROSTER_FIELDS):
            if field in roster and roster[field] not in roster["columns"]:
                self.unknown(("roster", field), "roster column", roster[field], roster["columns"])

    def check_datasets(self) -> None:
        for name, spec in self.datasets.items():
            path: KeyPath = ("datasets", name)
            for field in ("period_by", "key", "appraisee"):
                if field in spec:
                    self.column_ref((*path, field), name, spec[field])
            if "period_by" in spec and "as_of" in spec:
                self.add((*path, "as_of"), "a dataset is placed in the period by 'period_by' (rows with times) or by "
                         "'as_of' (a snapshot), not both", key=True)
            as_of = spec.get("as_of")
            if as_of is not None and as_of != AS_OF_PERIOD:
                self.column_ref((*path, "as_of"), name, as_of)
            for field in ("period_by", "as_of"):
                declared = spec.get("columns", {}).get(spec.get(field))
                if declared is not None and column_kind(declared) not in (Kind.DATE, Kind.TIMESTAMP):
                    self.add((*path, field), f"{field} names column {spec[field]!r}, declared "
                             f"{column_kind(declared).value}; the period is placed by a date or a timestamp column")
            via = spec.get("via")
            if via:
                if via["dataset"] == name:
                    self.add((*path, "via", "dataset"), "a dataset cannot reach its appraisee through itself")
                elif self.dataset_ref((*path, "via", "dataset"), via["dataset"]):
                    self.column_ref((*path, "via", "on"), name, via["on"])
                    self.column_ref((*path, "via", "on"), via["dataset"], via["on"])
                if "appraisee" in spec:
                    self.add((*path, "via"), "a dataset has either 'appraisee' or 'via', not both")
            elif "appraisee" not in spec:
                self.add(path, "dataset names no appraisee: add 'appraisee' (a column) or 'via' (a join)")
            self.check_repeats(name, spec)
        self.check_via_cycles()

    def check_repeats(self, name: str, spec: Mapping[str, Any]) -> None:
        """The names `repeats` uses resolve, with did-you-mean hints; the rest is `lint_repeats`."""
        repeats = spec.get("repeats")
        if repeats is None:
            return
        path: KeyPath = ("datasets", name, "repeats")
        other = repeats.get("in")
        if other == name:
            self.add((*path, "in"), "'in' names this dataset; leave 'in' out to look for the return among its own rows")
        found = other is not None and other != name and self.dataset_ref((*path, "in"), other)
        theirs = self.datasets[other].get("columns") if found else None
        for i, column in enumerate(repeats["same"]):
            self.column_ref((*path, "same", i), name, column)
            if theirs is not None and column not in theirs:
                self.unknown((*path, "same", i), "column", column, theirs, where=f" in dataset {other!r}")
        if theirs is not None and "at" in repeats and repeats["at"] not in theirs:
            self.unknown((*path, "at"), "column", repeats["at"], theirs, where=f" in dataset {other!r}")
        lint_repeats(spec, lambda sub, message: self.add(("datasets", name, *sub), message),
                     self.datasets[other] if found else None)

    def check_via_cycles(self) -> None:
        for start in self.datasets:
            seen, current = [start], start
            while (via := self.datasets.get(current, {}).get("via")) and via["dataset"] in self.datasets:
                current = via["dataset"]
                if current in seen:
                    if current == start and len(seen) > 1:
                        chain = " -> ".join([*seen, start])
                        self.add(("datasets", start, "via"), f"datasets reach each other in a circle: {chain}")
                    break
                seen.append(current)

    def check_exclusions(self) -> None:
        for i, spec in self.items("exclusions"):
            path: KeyPath = ("exclusions", i)
            if self.dataset_ref((*path, "dataset"), spec["dataset"]):
                self.expression((*path, "where"), self.column_names(spec["dataset"]), "condition", spec["dataset"])
                if not _placed(self.datasets[spec["dataset"]]):
                    self.add((*path, "dataset"), f"dataset {spec['dataset']!r} is a lookup table (no 'period_by' "
                                                 "or 'as_of'); exclusions apply to measured datasets")

    def check_indicators(self) -> None:
        first: dict[str, int] = {}
        for i, spec in self.items("indicators"):
            path: KeyPath = ("indicators", i)
            if spec["id"] in first:
                line = self.doc.locate(("indicators", first[spec["id"]], "id"))
                where = f" (first used on line {line.line})" if line else ""
                self.add((*path, "id"), f"duplicate indicator id {spec['id']!r}{where}")
            first.setdefault(spec["id"], i)
            if not spec["id"].isidentifier():
                self.add((*path, "id"),
                         f"indicator id {spec['id']!r} cannot be named in formulas: use letters, digits and _")
            self.check_value_source(path, spec)
            if "measure" in spec:
                self.check_measure((*path, "measure"), spec["measure"])
            if "formula" in spec:
                others = {k: v for k, v in self.scheme_names().items() if k != spec["id"]}
                self.expression((*path, "formula"), others, "number")
            self.check_target(path, spec)
            if "score" in spec:
                self.check_score(path, spec)
            elif spec["weight"] > 0:
                self.add(path, "indicator has a weight but no 'score' rule to turn its value into points")

    def check_value_source(self, path: KeyPath, spec: Mapping[str, Any]) -> None:
        given = [key for key in ("measure", "formula", "custom") if key in spec]
        if len(given) > 1:
            self.add(path, f"indicator has both {given[0]!r} and {given[1]!r}; keep one")
            return
        kind = indicator_kind(spec)
        if kind == "rating":
            if given:
                self.add((*path, "kind"), f"a rating indicator is entered by raters; remove {given[0]!r}")
            if "scale" not in spec:
                self.add(path, "rating indicator needs a 'scale', e.g. scale: [1, 5]")
            elif spec["scale"][0] >= spec["scale"][1]:
                self.add((*path, "scale"), "scale must go from the lowest rating to the highest, e.g. [1, 5]")
            if "ratings" not in self.data and "ratings" not in self.aside.keys:
                self.add(path, "rating indicator needs a top-level 'ratings' source to read ratings from")
            for name, group in spec.get("raters", {}).items():
                if "scale" in group and group["scale"][0] >= group["scale"][1]:
                    self.add((*path, "raters", name, "scale"),
                             "scale must go from the lowest rating to the highest, e.g. [1, 5]")
        elif kind not in given:
            self.add(path, f"indicator of kind {kind!r} needs a {kind!r} key")
        elif "scale" in spec:
            self.add((*path, "scale"), "'scale' is only for rating indicators")
        if kind != "rating":
            for key in ("raters", "trim"):
                if key in spec:
                    self.add((*path, key), f"{key!r} is only for rating indicators", key=True)

    def check_measure(self, path: KeyPath, measure: Mapping[str, Any]) -> None:
        dataset, agg = measure["dataset"], measure["agg"]
        if not self.dataset_ref((*path, "dataset"), dataset):
            return
        if not _placed(self.datasets[dataset]):
            self.add((*path, "dataset"), f"dataset {dataset!r} has no 'period_by' (or 'as_of' for a snapshot), "
                                         "so its rows cannot be placed in a period")
        if agg in _NEEDS_OF and "of" not in measure:
            self.add(path, f"agg {agg!r} needs 'of': the per-row value to aggregate")
        if agg in ("count", "ratio") and "of" in measure:
            where = "; put it in numerator/denominator" if agg == "ratio" else ""
            self.add((*path, "of"), f"agg {agg!r} counts rows and takes no 'of'{where}")
        if (agg == "percentile") != ("percentile" in measure):
            self.add(path, "agg 'percentile' needs 'percentile' (e.g. 0.9), and only it takes one")
        if agg == "ratio" and "numerator" not in measure:
            self.add(path, "agg 'ratio' needs a 'numerator' (the rows counted above the line)")
        if agg != "ratio":
            for side in ("numerator", "denominator"):
                if side in measure:
                    self.add((*path, side), f"{side!r} is only for agg 'ratio'")
        attribution = measure.get("attribution", "all")
        if attribution != "all":
            via = self.datasets[dataset].get("via")
            if not via or "order_by" not in via:
                self.add((*path, "attribution"),
                         f"attribution {attribution!r} needs the dataset to reach appraisees through 'via' "
                         "with an 'order_by' column (who touched it, when)")
            elif via["dataset"] in self.datasets:
                self.column_ref(("datasets", dataset, "via", "order_by"), via["dataset"], via["order_by"])
            if attribution == "split" and agg not in ("count", "sum", "mean", "ratio"):
                self.add((*path, "attribution"), f"a split share works with count, sum, mean and ratio, not {agg!r}")
        names = self.column_names(dataset)
        if "of" in measure:  # a count of distinct values counts any kind; the rest compute numbers
            self.expression((*path, "of"), names, "any" if agg == "count_distinct" else "number", dataset)
        if "where" in measure:
            self.expression((*path, "where"), names, "condition", dataset)
        for side in ("numerator", "denominator"):
            for field in ("where", "of"):
                if field in measure.get(side, {}):
                    self.expression((*path, side, field), names, "condition" if field == "where" else "number", dataset)

    def check_target(self, path: KeyPath, spec: Mapping[str, Any]) -> None:
        target = spec.get("target")
        if isinstance(target, dict) and self.dataset_ref((*path, "target", "dataset"), target["dataset"]):
            self.column_ref((*path, "target", "column"), target["dataset"], target["column"])

    def check_weights(self) -> None:
        if self.aside.indicators_incomplete:  # an indicator that failed the schema has no sure weight
            return
        total = sum(spec["weight"] for _, spec in self.items("indicators"))
        if abs(total - 100) > _TOLERANCE:
            self.add(("indicators",), f"indicator weights sum to {fmt(total)}, not 100")

    def check_formula_cycles(self) -> None:
        depends = {}
        for i, spec in self.items("indicators"):
            expr = self.parsed.get(("indicators", i, "formula"))
            if expr is not None:
                depends[spec["id"]] = (i, sorted(n for n in expr.names if n in self.indicator_ids))
        for start, (i, _) in depends.items():
            stack, seen = [(start, [start])], set()
            while stack:
                node, chain = stack.pop()
                for nxt in depends.get(node, (0, []))[1]:
                    if nxt == start:
                        circle = " -> ".join([*chain, start])
                        self.add(("indicators", i, "formula"), f"formulas depend on each other in a circle: {circle}")
                        stack = []
                        break
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append((nxt, [*chain, nxt]))

    def check_gates(self) -> None:
        for i, gate in self.items("gates"):
            self.expression(("gates", i, "when"), self.scheme_names("total"), "condition")
            if "cap_total" not in gate and not gate.get("veto"):
                self.add(("gates", i), "gate does nothing: add 'cap_total' or 'veto: true'")
        for i, _ in self.items("adjustments"):
            self.expression(("adjustments", i, "when"), self.scheme_names("total"), "condition")

    def check_quadrant(self) -> None:
        quadrant = self.data.get("quadrant") or {}
        for axis in ("x", "y"):
            if axis in quadrant and quadrant[axis] not in self.indicator_ids:
                self.unknown(("quadrant", axis), "indicator", quadrant[axis], self.indicator_ids)

    def check_quality(self) -> None:
        """The `quality:` block names what exists, and each warning level can warn (`lint_quality`)."""
        lint_quality(self.data, self.add)

    def check_calendar(self) -> None:
        calendar = self.data.get("calendar") or {}
        hours = calendar.get("hours")
        if hours and hours[0] >= hours[1]:
            self.add(("calendar", "hours"), f"the day closes ({hours[1]}) before it opens ({hours[0]})")
        for key in ("holidays", "workdays"):
            for n, text in enumerate(calendar.get(key, [])):
                try:
                    datetime.date.fromisoformat(text)
                except ValueError:
                    self.add(("calendar", key, n), f"{text!r} is not a date")



def lint_document(
    document: Document, functions: FunctionRegistry, sources: Registry[Any], set_aside: SetAside | None = None,
    indicators: CustomIndicatorRegistry | None = None, engine: str | None = None,
) -> tuple[list[Problem], dict[KeyPath, Expression]]:
    """Semantic problems of a schema-valid document, and its parsed expressions by key path;
    with `set_aside`, of the parts of a document that passed the schema (see `schema_parts`).
    `functions`, `sources` and `indicators` are those the plugins registered: what expressions
    may call, what `source:` and `custom:` may name; `engine`: the engine the scheme must run on."""
    linter = _Linter(document, functions, set_aside or SetAside())
    linter.engine = engine
    linter.run()
    linter.check_sources(sources)
    if indicators is not None:
        linter.problems += custom_problems(document, indicators, engine, linter.aside)
    return linter.problems, linter.parsed
