"""Data-quality levels: bad rows are counted, and too many of them stop the run.

The engine and the measuring stage count every row that did not count, by dataset, column and
cause (`appraisal.engines.duckdb_engine.QualityCount`). Some causes mean the data is wrong (a value that does
not parse, a repeated key, an appraisee nobody knows, a row with no date, a time that runs
backwards); the others are the scheme working as written (a row outside the period, an
exclusion, a self rating) and are only shown. A wrong-data count is compared with two levels,
after dbt's `warn_if` / `error_if` (Great Expectations' `mostly: 0.95` is `error_if: "> 5%"`):
above the error level the run stops and nothing is stored; above the warning level the run is
stored and every cell computed from that column carries a flag. `--strict` makes a warning an
error. Levels are set in the scheme's `quality:` block for the whole scheme, a dataset or a
column, each optionally per cause; the most specific setting wins (see `limits`).

Levels apply to the columns the scheme reads (an indicator's expressions, keys, appraisee and
period columns, joins, exclusions, targets); a column nothing reads is counted and shown, never
judged, unless the `quality:` block names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appraisal.errors import DataError
from appraisal.scheme.model import BONUS_BASE, RATING_COLUMNS, ROSTER, SALES
from appraisal.scheme.quality_levels import Limit, parse_limit

if TYPE_CHECKING:
    from appraisal.engines.duckdb_engine import QualityCount
    from appraisal.scheme.model import Dataset, Scheme

UNPARSEABLE = tuple(f"unparseable {kind}" for kind in ("integer", "number", "flag", "date", "timestamp", "duration"))
# Causes that mean the data is wrong; the others (outside period, excluded, self rating) are the scheme at work.
# rows a reader skipped (engine/sources): they hold no column, so they count against the whole dataset
SKIPPED = ("ragged row", "unterminated quote", "line too long", "invalid text encoding", "unreadable row")
BAD_CAUSES = (*UNPARSEABLE, *SKIPPED, "empty id", "negative duration", "value out of range", "duplicate key",
              "unknown appraisee", "no period value", "rating outside scale", "unknown rater group",
              "unknown indicator")
DEFAULTS = {"warn_if": "> 1%", "error_if": "> 5%"}
OK, WARNING, ERROR = "ok", "warning", "error"
FLAG_PREFIX = "data warning: "
SHOWN_EXAMPLES = 3
EXAMPLE_LENGTH = 40


@dataclass(frozen=True)
class Finding:
    """One count with its verdict: `level` is None for a count that is not judged (not a
    wrong-data cause, or a column nothing reads), else ok, warning or error; `limit` is the
    level crossed."""

    count: QualityCount
    level: str | None = None
    limit: Limit | None = None

    @property
    def share(self) -> float | None:
        rows = self.count.rows
        return self.count.count / rows if rows else None


@dataclass(frozen=True)
class Assessment:
    """Every count of a run, judged; `breaches` stop it (errors, and warnings when `strict`)."""

    findings: tuple[Finding, ...]
    strict: bool = False

    @property
    def breaches(self) -> tuple[Finding, ...]:
        stops = (ERROR, WARNING) if self.strict else (ERROR,)
        return tuple(f for f in self.findings if f.level in stops)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == WARNING)

    def rows(self) -> list[dict[str, Any]]:
        """Every count as `result.json` keeps it (see `as_row`)."""
        return [as_row(f) for f in self.findings]

    def lines(self) -> list[str]:
        """What `run`, `measure` and `demo` print (see `report_lines`)."""
        return report_lines(self.rows(), self.strict)

    def check(self) -> None:
        """Raise `QualityBreach` when a count crossed its error level (or, strict, its warning level)."""
        if self.breaches:
            raise QualityBreach(self)


class QualityBreach(DataError):
    """Too many wrong rows: the run stops before anything is stored."""

    def __init__(self, assessment: Assessment):
        self.assessment = assessment
        found = "\n".join(f"  {describe(f, assessment.strict)}" for f in assessment.breaches)
        super().__init__(
            f"data quality: the run is stopped and nothing was stored:\n{found}\n"
            "correct the data or the column's declared type, or set other levels in the scheme's "
            "'quality:' block (see docs/scheme-reference.md, \"quality\")"
        )


def assess(scheme: Scheme, counts: Iterable[QualityCount], *, strict: bool = False) -> Assessment:
    """Judge every count against its levels (see the module docstring)."""
    read = read_columns(scheme)
    found = []
    for count in counts:
        if count.cause not in BAD_CAUSES or not (_is_read(count, read) or _named(scheme, count)):
            found.append(Finding(count))
            continue
        warn, error = limits(scheme.quality, count.dataset, count.column, count.cause)
        if error is not None and error.crossed(count.count, count.rows):
            found.append(Finding(count, ERROR, error))
        elif warn is not None and warn.crossed(count.count, count.rows):
            found.append(Finding(count, WARNING, warn))
        else:
            found.append(Finding(count, OK))
    first = {name: i for i, name in reversed(list(enumerate(f.count.dataset for f in found)))}
    return Assessment(tuple(sorted(found, key=lambda f: first[f.count.dataset])), strict)  # each dataset's together


def limits(policy: Mapping[str, Any], dataset: str, column: str, cause: str) -> tuple[Limit | None, Limit | None]:
    """The warning and error levels of one count: for each, the first setting found in the
    column's `causes`, the column, the dataset's `causes`, the dataset, the scheme's `causes`,
    the scheme, and the defaults."""
    in_dataset = (policy.get("datasets") or {}).get(dataset) or {}
    in_column = (in_dataset.get("columns") or {}).get(column) or {}
    chain = []
    for level in (in_column, in_dataset, policy):
        chain += [(level.get("causes") or {}).get(cause) or {}, level]
    chain.append(DEFAULTS)
    found = [next(level[key] for level in chain if key in level) for key in ("warn_if", "error_if")]
    return parse_limit(found[0]), parse_limit(found[1])


def _named(scheme: Scheme, count: QualityCount) -> bool:
    """Whether the `quality:` block names this column: then it is judged even if nothing reads it."""
    in_dataset = (scheme.quality.get("datasets") or {}).get(count.dataset) or {}
    return count.column in (in_dataset.get("columns") or {})


# Causes in the columns that place a row (its key, appraisee, period): read whenever the dataset is.
_STRUCTURAL = ("duplicate key", "unknown appraisee", "no period value")


def _is_read(count: QualityCount, read: Mapping[str, set[tuple[str, str]]]) -> bool:
    if not count.column or any((count.dataset, count.column) in columns for columns in read.values()):
        return True
    return count.cause in _STRUCTURAL and any(d == count.dataset for columns in read.values() for d, _ in columns)


# -- what reads what ----------------------------------------------------------------------------

def read_columns(scheme: Scheme) -> dict[str, set[tuple[str, str]]]:
    """(dataset, column) pairs each indicator's value or target is computed from; the roster's
    columns and the incentives' amounts under `(roster)` and `(incentives)`, which no indicator
    id can be."""
    read: dict[str, set[tuple[str, str]]] = {}
    for indicator in scheme.indicators:
        columns: set[tuple[str, str]] = set()
        if indicator.measure is not None:
            measure = indicator.measure
            names: set[str] = {indicator.id}  # the indicator's own counts: negative durations, out of range
            parts = [measure.of, measure.where]
            for side in (measure.numerator, measure.denominator):
                parts += [side.where, side.of] if side is not None else []
            for expression in parts:
                names |= set(expression.names) if expression is not None else set()
            columns |= _dataset_reads(scheme, measure.dataset, names)
        if indicator.kind == "rating":
            columns |= {("ratings", c) for c in (*RATING_COLUMNS, "group")}
        target = indicator.target
        if target is not None and not isinstance(target, (int, float)):
            columns |= _dataset_reads(scheme, target.dataset, {target.column})
        read[indicator.id] = columns
    if scheme.roster is not None:
        roster = scheme.roster
        read["(roster)"] = {(ROSTER, c) for c in (roster.key, *roster.fields.values())}
    read["(incentives)"] = set()
    for _, source in [a for a in scheme.amounts() if a[0] in (BONUS_BASE, SALES)]:
        read["(incentives)"] |= _dataset_reads(scheme, source.dataset, {source.column})
    return read


def _dataset_reads(scheme: Scheme, name: str, names: set[str]) -> set[tuple[str, str]]:
    """The columns of dataset `name` read for `names`, with the rows' keys, appraisee, period,
    exclusions and repeats, and those of every dataset joined through to reach the appraisee."""
    found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    dataset: Dataset | None = scheme.datasets.get(name)
    wanted = set(names)
    while dataset is not None and dataset.name not in seen:
        seen.add(dataset.name)
        for exclusion in scheme.exclusions:
            if exclusion.dataset == dataset.name:
                wanted |= set(exclusion.where.names)
        repeats = dataset.repeats
        if repeats is not None and wanted & {repeats.column, f"{repeats.column}_by"}:
            wanted |= {*repeats.same, *(c for c in (repeats.after, dataset.period_by) if c)}
        structural = {dataset.key, dataset.appraisee, dataset.period_by, dataset.via.on if dataset.via else None}
        found |= {(dataset.name, c) for c in (wanted | structural) if c}
        if dataset.via is None:
            break
        wanted = {dataset.via.on}
        dataset = scheme.datasets.get(dataset.via.dataset)
    return found


# -- flags on cells -----------------------------------------------------------------------------

def flag_text(finding: Finding) -> str:
    """The flag a cell computed from a warned column carries: `data warning: 3.0% unparseable
    integer in sales.amount` (appraisal.rendering.phrasing says it in Chinese)."""
    count = finding.count
    where = f"{count.dataset}.{count.column}" if count.column else count.dataset
    return f"{FLAG_PREFIX}{share_text(finding.share)} {count.cause} in {where}"


def warning_flags(scheme: Scheme, assessment: Assessment) -> dict[str, tuple[str, ...]]:
    """Per indicator, the flags of the warned columns its value or target is computed from."""
    read = read_columns(scheme)
    found: dict[str, tuple[str, ...]] = {}
    for finding in assessment.warnings:
        count = finding.count
        for indicator, columns in read.items():
            structural = not count.column or count.cause in _STRUCTURAL
            whole_dataset = structural and any(d == count.dataset for d, _ in columns)
            if (count.dataset, count.column) in columns or whole_dataset:
                found[indicator] = (*found.get(indicator, ()), flag_text(finding))
    return found


def is_quality_flag(flag: str) -> bool:
    return str(flag).startswith(FLAG_PREFIX)


# -- words --------------------------------------------------------------------------------------

def describe(finding: Finding, strict: bool = False) -> str:
    """One count in words (see `describe_row`)."""
    return describe_row(as_row(finding), strict)


def describe_row(row: Mapping[str, Any], strict: bool = False) -> str:
    """One count, as `result.json` keeps it, in words: `sales: 594 of 600 rows (99.0%) unparseable
    integer in column 'amount': error, above 5%; e.g. '10.50', '100.25', '101.75'`."""
    count, rows = int(row["count"]), row.get("rows")
    noun = "row" if (rows or count) == 1 else "rows"
    amount = f"{count:,} of {rows:,} {noun} ({share_text(count / rows)})" if rows else f"{count:,} {noun}"
    line = f"{row['dataset']}: {amount} {row['cause']}"
    if row.get("column"):
        line += f" in column {shown(row['column'])}"
    level, limit = row.get("level"), row.get("limit")
    if level in (WARNING, ERROR) and limit:
        crossed = parse_limit(limit)
        line += f": {level}, {crossed.words() if crossed else limit}"
        if strict and level == WARNING:
            line += " (an error under --strict)"
    if row.get("examples"):
        line += "; e.g. " + ", ".join(row["examples"])
    return line


def report_lines(rows: Iterable[Mapping[str, Any]], strict: bool = False) -> list[str]:
    """What `run`, `measure` and `demo` print: a heading and one indented line per count."""
    lines = [f"  {describe_row(row, strict)}" for row in rows]
    return ["data quality:", *lines] if lines else []


def shown(value: object) -> str:
    """A raw value for a message: quoted, cut to 40 characters, control characters escaped
    (`\\x1b`), so a cell can neither hide nor fake anything on a terminal."""
    text = str(value)
    cut = text[:EXAMPLE_LENGTH]
    out = []
    for ch in cut:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "'" + "".join(out) + "'" + ("..." if len(text) > EXAMPLE_LENGTH else "")


def share_text(share: float | None) -> str:
    """A share as a percentage with one decimal; a share too small to show as one is `<0.1%`."""
    if share is None:
        return "-"
    if 0 < share < 0.001:
        return "<0.1%"
    return f"{100 * share:.1f}%"


def as_row(finding: Finding) -> dict[str, Any]:
    """A count as `result.json` and `quality.csv` keep it: the count, the rows it was looked
    for among, its share, the verdict, the level crossed and the examples (cut and escaped)."""
    count = finding.count
    return {
        "dataset": count.dataset, "cause": count.cause, "column": count.column, "count": count.count,
        "cause_parts": dict(count.cause_parts) if count.cause_parts else None,
        "rows": count.rows, "share": finding.share, "level": finding.level,
        "limit": finding.limit.text if finding.limit else None,
        "examples": [shown(e) for e in count.examples[:SHOWN_EXAMPLES]],
        **({"lines": list(count.lines)} if count.lines else {}),  # rows a reader skipped: where they are
    }
