"""Measuring: a scheme's data turned into one value per appraisee and indicator.

The stage after validation: open the engine (files loaded, typed, locked down), read the
roster with its employment flags, run one compiled query per measured dataset and one for its
data-quality counts, and call custom-indicator plugins. Every roster member gets a cell for
every measured indicator; a missing value is `insufficient data`, never zero, and every row
that did not count is counted by cause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING

from appraisal.engines.duckdb_engine import CALENDAR, Engine, QualityCount, open_engine
from appraisal.engines.remote import EMBEDDED
from appraisal.engines.tables import in_database, stage_all
from appraisal.errors import DataError
from appraisal.measuring.custom import CustomIndicatorRegistry, RosterTable, compute, refusals
from appraisal.measuring.tables import Wide, WideTable, amounts, cells, quality_sums
from appraisal.periods import window
from appraisal.scheme.model import INSUFFICIENT, MEASURED_KINDS, OK, ROSTER, ROSTER_NEEDED, pick
from appraisal.sql.datasets import GROUPINGS, members
from appraisal.sql.dialect import quote_identifier as q
from appraisal.sql.measures import compile_dataset, compile_targets
from appraisal.sql.quantiles import windowed
from appraisal.sql.query import CompiledQuery
from appraisal.sql.ratings import compile_ratings, compile_ratings_quality

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.periods import Period
    from appraisal.plugins import Extensions
    from appraisal.scheme.model import Indicator, Scheme

JOINED = "joined during period"
LEFT = "left during period"
ABSENT = "not employed during period"


@dataclass(frozen=True)
class Appraisee:
    """A roster member, with the details the roster declares and employment flags."""

    id: str
    name: str | None = None
    team: str | None = None
    manager: str | None = None
    role: str | None = None
    start: date | None = None
    end: date | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cell:
    """One appraisee's value of one indicator, with the rows behind it and where it came from."""

    value: float | None
    rows: int
    status: str
    source: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRow:
    """One group's values, from the rows of all its members pooled: a team (`by` team, `key`
    its name), a manager's people, or the whole roster (`by` roster, `key` all)."""

    by: str
    key: str
    members: int
    cells: Mapping[str, Cell]


@dataclass(frozen=True)
class Measurements:
    """Everything measured for one scheme and period; the input of scoring."""

    scheme: Scheme
    period: Period
    appraisees: tuple[Appraisee, ...]
    cells: Mapping[tuple[str, str], Cell]
    quality: tuple[QualityCount, ...]
    queries: Mapping[str, CompiledQuery]
    targets: Mapping[tuple[str, str], float | None] = field(default_factory=dict)
    groups: tuple[GroupRow, ...] = ()

    def target(self, appraisee: str, indicator: str) -> float | None:
        """The indicator's target for this appraisee: the scheme's number, or from a dataset."""
        fixed = self.scheme.indicator(indicator).target
        if isinstance(fixed, (int, float)):
            return float(fixed)
        return self.targets.get((appraisee, indicator))

    def cell(self, appraisee: str, indicator: str) -> Cell:
        return self.cells[(appraisee, indicator)]

    def indicators(self) -> list[str]:
        """Ids of the indicators measured here (measure and custom kinds), in scheme order."""
        return [i.id for i in self.scheme.indicators if i.kind in MEASURED_KINDS]

    def rows(self) -> Iterator[tuple[str, str, Cell]]:
        """(appraisee, indicator, cell) for every cell, appraisees in roster order."""
        for appraisee in self.appraisees:
            for indicator in self.indicators():
                yield appraisee.id, indicator, self.cells[(appraisee.id, indicator)]


def measure(
    scheme: Scheme, period: Period, extensions: Extensions, *, threads: int | None = None, groups: Sequence[str] = (),
) -> Measurements:
    """Measure every measure and custom indicator of `scheme` for everyone on its roster; with
    `groups` (team, manager, roster), also for each group from its members' rows pooled.
    `extensions` are the plugins' sources (read the data), functions (in the compiled SQL) and
    custom indicators."""
    with measuring(scheme, period, extensions, threads=threads, groups=groups) as measured:
        return measured.to_measurements()


@dataclass(frozen=True)
class Measured:
    """What `measuring` found, the values still in the open engine (`wide`): read them into
    Python with `to_measurements`, or copy them out as they are (appraisal.results.values_csv)."""

    engine: Engine
    scheme: Scheme
    period: Period
    wide: Wide
    quality: tuple[QualityCount, ...]
    queries: Mapping[str, CompiledQuery]
    groups: tuple[GroupRow, ...]

    def to_measurements(self) -> Measurements:
        appraisees = _roster(self.engine, self.scheme, self.period)
        cells = {(key, indicator): cell for key, indicator, cell in _cells(self.engine, self.wide)}
        targets = amounts(self.engine, self.wide)
        return Measurements(self.scheme, self.period, appraisees, MappingProxyType(cells), self.quality,
                            self.queries, MappingProxyType(targets), self.groups)


@contextmanager
def measuring(
    scheme: Scheme, period: Period, extensions: Extensions, *, threads: int | None = None, groups: Sequence[str] = (),
    engine_name: str = EMBEDDED, settings: Mapping[str, str] | None = None, checked: Callable[[], object] | None = None,
) -> Iterator[Measured]:
    """`measure`, with the engine kept open while the caller uses what was measured.

    `engine_name`: where the datasets' queries run (`appraisal.engines.remote`); the files are
    read and typed in the embedded DuckDB either way, and `settings` are the connection's.
    `checked`: called when the files have passed the checks, before any is read (`open_engine`)."""
    if scheme.roster is None:
        raise DataError(f"scheme {scheme.id!r} {ROSTER_NEEDED}")
    functions = extensions.functions
    kind = None if engine_name == EMBEDDED else extensions.engines.require(engine_name)
    pulled = _refuse_early(scheme, extensions, engine_name)
    # a roster or ratings in the database are read while the files are: connect first
    early = kind.connect(settings or {}) if kind is not None and pulled else None
    try:
        opened = open_engine(scheme, extensions.sources, threads=threads, remote=early, checked=checked)
    except BaseException:
        if early is not None:
            early.close()
        raise
    opened.remote = early  # closed with the engine from here on
    with opened as engine:
        if kind is not None:
            remote = early or kind.connect(settings or {})
            engine.attach(remote, [ROSTER, *_shipped(scheme)], _ids(scheme))
            stage_all(engine, scheme)
        queries: dict[str, CompiledQuery] = {}
        quality = list(engine.quality)
        keys = (f"SELECT __key, row_number() OVER (ORDER BY __key) AS __row FROM (SELECT DISTINCT"
                f" CAST({q(scheme.roster.key)} AS VARCHAR) AS __key FROM {q(ROSTER)}"
                f" WHERE {q(scheme.roster.key)} IS NOT NULL)")
        table = WideTable(engine, "__measured", keys)
        quality.extend(_measured(engine, scheme, period, functions, queries, table))
        if any(i.kind == "rating" for i in scheme.indicators):
            quality.extend(_ratings_quality(engine, compile_ratings_quality(scheme)))
        _custom(engine, scheme, period, extensions.indicators, table)
        _targets(engine, scheme, period, functions, queries, table)
        wide = table.build(_measured_ids(scheme))
        grouped = tuple(row for by in groups for row in _group_rows(engine, scheme, period, functions, by, queries))
        yield Measured(engine, scheme, period, wide, tuple(quality), MappingProxyType(queries), grouped)


def _refuse_early(scheme: Scheme, extensions: Extensions, engine_name: str) -> bool:
    """Refuse, before any file is read, a custom indicator that cannot run on the engine (or is
    unknown) and a table of a database on the embedded engine; whether the roster or the
    ratings live in the database (read from it with the files)."""
    assert scheme.roster is not None
    customs = [(i.id, i.custom) for i in scheme.indicators if i.custom is not None]
    if refused := refusals(customs, extensions.indicators, engine_name):
        raise DataError("; ".join(refused))
    pulled = [(label, s) for label, s in (("roster", scheme.roster.source), ("ratings", scheme.ratings))
              if s is not None and s.in_database]
    tables = [(f"dataset '{name}'", d.source) for name, d in in_database(scheme).items()]
    if engine_name == EMBEDDED and (pulled or tables):
        label, source = (pulled or tables)[0]
        raise DataError(f"{label} reads the table {source.table} of a database: measure on that database's "
                        "engine (--engine NAME with its connection, or --profile NAME)")
    return bool(pulled)


def _shipped(scheme: Scheme) -> list[str]:
    """The tables a remote engine's queries read and that are shipped to it: the datasets read
    from files, and the working-day calendar."""
    return [*(name for name, d in scheme.datasets.items() if not d.source.in_database), CALENDAR]


def _ids(scheme: Scheme) -> dict[str, list[str]]:
    """The columns the queries turn into text, by table: the roster's key, team and manager, and
    each dataset's appraisee."""
    assert scheme.roster is not None
    found = {ROSTER: [scheme.roster.key, *(scheme.roster.fields[f] for f in ("team", "manager")
                                           if f in scheme.roster.fields)]}
    for name, dataset in scheme.datasets.items():
        if dataset.appraisee:
            found[name] = [dataset.appraisee]
    return found


def _measured_ids(scheme: Scheme) -> list[str]:
    return [i.id for i in scheme.indicators if i.kind in MEASURED_KINDS]


def _cells(engine: Engine, wide: Wide) -> Iterator[tuple[str, str, Cell]]:
    """(key, indicator, cell) of every cell of `wide`, keys in order."""
    columns = [(column.indicator, column.source) for column in wide.columns]
    for key, found in cells(engine, wide):
        for (indicator, source), (value, rows, flags) in zip(columns, found, strict=True):
            yield key, indicator, Cell(value, rows, INSUFFICIENT if value is None else OK, source, flags)


def with_flags(measurements: Measurements, by_indicator: Mapping[str, tuple[str, ...]]) -> Measurements:
    """`measurements` with flags added to every cell of the indicators named."""
    if not by_indicator:
        return measurements
    cells = {
        key: replace(cell, flags=(*cell.flags, *by_indicator[key[1]])) if key[1] in by_indicator else cell
        for key, cell in measurements.cells.items()
    }
    return replace(measurements, cells=MappingProxyType(cells))


def _measured(
    engine: Engine, scheme: Scheme, period: Period, functions: FunctionRegistry, queries: dict[str, CompiledQuery],
    table: WideTable, group_by: str | None = None,
) -> list[QualityCount]:
    """Put every measured and rated indicator into `table`, and return the data-quality
    counts (of the appraisee queries alone: group queries read the same rows again)."""
    quality: list[QualityCount] = []
    # One query per dataset and time window; data-quality counts come from the run's
    # own window (other windows would count the same rows again).
    windows: dict[tuple[str, str, str], list[Indicator]] = {}
    for indicator in scheme.indicators:
        if indicator.measure is not None:
            key = (indicator.measure.dataset, indicator.window, indicator.measure.attribution)
            windows.setdefault(key, []).append(indicator)
    counted: set[str] = set()
    for (dataset, kind, attribution), measured in sorted(
        windows.items(), key=lambda g: (g[0][0], g[0][1] != "period", g[0][2] != "all")
    ):
        span = window(period, kind)
        # A row that only another window of this dataset uses (the year to date beside the
        # quarter) is not "outside period": it counts, just not in this window.
        others = sorted({k for (d, k, _) in windows if d == dataset and k != kind}) if dataset not in counted else []
        query = compile_dataset(scheme, dataset, span, functions, indicators=measured, attribution=attribution,
                                also_used=[window(period, k) for k in others], group_by=group_by,
                                windowed=windowed(measured, engine.rows.get(dataset), engine.memory_limit),
                                dialect=engine.dialect)
        label = " ".join(part for part in (
            "" if kind == "period" else f"{kind} {span.label}",
            "" if attribution == "all" else f"{attribution} touch" if attribution != "split" else "split",
            "" if group_by is None else f"per {group_by}",
        ) if part)
        queries[f"{dataset} ({label})" if label else dataset] = query
        kept = table.keep(query)
        table.from_dataset(kept, query.indicators, f"dataset {query.dataset}")
        if dataset not in counted and group_by is None:
            counted.add(dataset)
            totals, unknown, strangers = quality_sums(engine, kept)
            quality.extend(_quality(dataset, scheme, totals, unknown, engine.rows.get(dataset), strangers))
    if any(i.kind == "rating" for i in scheme.indicators):
        query = compile_ratings(scheme, group_by)  # few rows, read here (not shipped to a remote engine)
        queries["ratings" if group_by is None else f"ratings (per {group_by})"] = query
        table.from_ratings(table.keep(query, here=True), [i.id for i in scheme.indicators if i.kind == "rating"])
    return quality


def _group_rows(
    engine: Engine, scheme: Scheme, period: Period, functions: FunctionRegistry, by: str,
    queries: dict[str, CompiledQuery],
) -> list[GroupRow]:
    """The rows of each group of `by`, its members' rows pooled. A plugin's indicator cannot
    be pooled (the plugin computes per appraisee): its group cells have insufficient data."""
    if by not in GROUPINGS:
        raise DataError(f"unknown grouping {by!r}; group rows are per {', '.join(GROUPINGS)}")
    keys = (f"SELECT __group AS __key, row_number() OVER (ORDER BY __group) AS __row FROM {members(scheme, by)}"
            " GROUP BY __group")
    table = WideTable(engine, f"__by_{by}", keys)
    _measured(engine, scheme, period, functions, queries, table, group_by=by)
    for custom in scheme.indicators:
        if custom.custom is not None:
            table.constant(custom.id, f"plugin {custom.custom['plugin']}: not pooled")
    wide = table.build(_measured_ids(scheme))
    found: dict[str, dict[str, Cell]] = {}
    for key, indicator, cell in _cells(engine, wide):
        found.setdefault(key, {})[indicator] = cell
    counted = engine.connection.execute(
        f"SELECT __group, count(*) FROM {members(scheme, by)} GROUP BY __group ORDER BY __group").fetchall()
    return [GroupRow(by, str(key), int(size), MappingProxyType(found.get(key, {}))) for key, size in counted]


def _targets(
    engine: Engine, scheme: Scheme, period: Period, functions: FunctionRegistry, queries: dict[str, CompiledQuery],
    table: WideTable,
) -> None:
    """Amounts per appraisee from datasets into `table`: indicator targets, and the incentives'
    bonus base and sales."""
    by_dataset: dict[str, list[tuple[str, str]]] = {}
    for name, source in scheme.amounts():
        by_dataset.setdefault(source.dataset, []).append((name, source.column))
    for dataset, wanted in by_dataset.items():
        query = compile_targets(scheme, dataset, period, functions, wanted, engine.dialect)
        queries[f"{dataset} (amounts)"] = query
        table.from_amounts(table.keep(query), query.indicators)


def _roster(engine: Engine, scheme: Scheme, period: Period) -> tuple[Appraisee, ...]:
    """Roster rows with their flags, computed in SQL against the period's days."""
    assert scheme.roster is not None
    fields = scheme.roster.fields
    details = [f"{q(fields[f])}" if f in fields else "NULL" for f in ("name", "team", "manager", "role")]
    start = q(fields["start"]) if "start" in fields else "CAST(NULL AS DATE)"
    end = q(fields["end"]) if "end" in fields else "CAST(NULL AS DATE)"
    sql = (
        f"SELECT CAST({q(scheme.roster.key)} AS VARCHAR) AS id, "
        + ", ".join(f"CAST({d} AS VARCHAR)" for d in details)
        + f", {start}, {end}, " + ", ".join(test for _, test in employment(scheme, "$1", "$2"))
        + f" FROM {q(ROSTER)} WHERE {q(scheme.roster.key)} IS NOT NULL ORDER BY id"
    )
    out = []
    for row in engine.connection.execute(sql, [period.start, period.end]).fetchall():
        flags = tuple(flag for flag, on in zip((JOINED, LEFT, ABSENT), row[7:], strict=True) if on)
        member, name, team, manager, role, started, ended = row[:7]
        out.append(Appraisee(member, name, team, manager, role, started, ended, flags=flags))
    return tuple(out)


def employment(scheme: Scheme, begin: str, stop: str) -> list[tuple[str, str]]:
    """Each employment flag (joined, left, not employed during the period) with its test over a
    roster row, in SQL; `begin` and `stop` are SQL for the period's first and after-last days."""
    assert scheme.roster is not None
    fields = scheme.roster.fields
    start = q(fields["start"]) if "start" in fields else "CAST(NULL AS DATE)"
    end = q(fields["end"]) if "end" in fields else "CAST(NULL AS DATE)"
    return [(JOINED, f"coalesce({start} >= {begin} AND {start} < {stop}, FALSE)"),
            (LEFT, f"coalesce({end} >= {begin} AND {end} < {stop}, FALSE)"),
            (ABSENT, f"coalesce({end} < {begin} OR {start} >= {stop}, FALSE)")]


def _ratings_quality(engine: Engine, query: CompiledQuery) -> list[QualityCount]:
    [row] = engine.connection.execute(query.sql, list(query.params)).fetchall()
    causes = ("self rating", "rating outside scale", "unknown rater group", "unknown indicator", "unknown appraisee")
    columns = ("rater", "rating", "group", "indicator", "appraisee")
    read = engine.rows.get("ratings")
    return [
        QualityCount("ratings", c, col, int(found["n"]), rows=read, examples=tuple(found["e"] or ()))
        for c, col, found in zip(causes, columns, row, strict=True)
        if found["n"]
    ]


def _quality(
    dataset_name: str, scheme: Scheme, totals: dict[str, int], unknown: int, read: int | None = None,
    strangers: list[str] | None = None,
) -> list[QualityCount]:
    """The dataset's counts by cause: unknown appraisee, outside period, exclusions by reason.

    Each with the rows it was looked for among: rows of unknown appraisees and negative
    durations among the rows kept in the period, the others among all `read` rows."""
    dataset = scheme.datasets[dataset_name]
    period_by = dataset.placed_by or ""
    outside = "outside period" if dataset.period_by else "other snapshot"  # a snapshot taken on another day
    kept = totals.get("q__kept", 0)
    found = [
        QualityCount(dataset_name, "unknown appraisee", dataset.appraisee or "", unknown, rows=kept,
                     examples=tuple(strangers or ())),
        QualityCount(dataset_name, outside, period_by, totals.get("q__outside_period", 0), rows=read),
        QualityCount(dataset_name, "no period value", period_by, totals.get("q__no_period_value", 0), rows=read),
    ]
    exclusions = [e for e in scheme.exclusions if e.dataset == dataset_name]
    found += [  # the English cause for JSON and CSV readers; its parts say the reason in every language given
        QualityCount(dataset_name, f"excluded: {pick(e.reason)}", "", totals.get(f"q__excluded_{n}", 0),
                     {"key": "excluded", "reason": dict(e.reason)}, rows=read)
        for n, e in enumerate(exclusions)
    ]
    if dataset.via is not None:
        found.append(QualityCount(dataset_name, f"excluded with its {dataset.via.dataset} row", dataset.via.on,
                                  totals.get("q__excluded_via", 0), rows=read))
    found += [
        QualityCount(dataset_name, "negative duration", name.removeprefix("q__negative__"), count, rows=kept)
        for name, count in totals.items()
        if name.startswith("q__negative__")
    ]
    found += [  # beyond the range an exact sum holds (compilation.RANGE): left out, counted
        QualityCount(dataset_name, "value out of range", name.removeprefix("q__range__"), count, rows=kept)
        for name, count in totals.items()
        if name.startswith("q__range__")
    ]
    return [count for count in found if count.count]


def _custom(
    engine: Engine, scheme: Scheme, period: Period, registry: CustomIndicatorRegistry, table: WideTable
) -> None:
    """Put every custom indicator's values, which its plugin computes, into `table`."""
    assert scheme.roster is not None
    roster = RosterTable(ROSTER, scheme.roster.key)
    for indicator in scheme.indicators:
        if indicator.custom is None:
            continue
        plugin = registry.get(str(indicator.custom["plugin"]))
        values = compute(
            plugin,
            engine=engine,
            period=period,
            roster=roster,
            params=indicator.custom.get("params") or {},
            timezone=scheme.timezone,
        )
        table.from_values(indicator.id, f"plugin {plugin.name}",
                          {key: (found.value, found.rows, found.flags) for key, found in values.items()})
