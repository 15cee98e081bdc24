"""Storing a run: a folder that is either absent or complete.

Everything is written into `DIR.partial-<random>` next to the target and the folder is renamed
to `DIR` at the very end, so a run killed at any moment leaves no half-written result under the
name people read. An existing `DIR` is never overwritten: earlier results are evidence.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

from appraisal import interrupts
from appraisal.errors import AppraisalError, OutcomeUnknown
from appraisal.results.inert import write_csv
from appraisal.results.result import FORMAT, STORED_FORMAT, Result, result_from_dict
from appraisal.results.shape import Damaged, check
from appraisal.results.stored import StoredAppraisees

RESULT_FILE = "result.json"
SCORES_FILE = "scores.csv"
TOTALS_FILE = "totals.csv"
QUALITY_FILE = "quality.csv"
QUERIES_FILE = "queries.sql"
APPRAISEES_FILE = "appraisees.parquet"
FORMATS = (FORMAT, STORED_FORMAT)

SCORE_COLUMNS = [
    "appraisee", "indicator", "value", "rows", "status", "target", "score",
    "weight", "effective_weight", "contribution", "rule", "source",
]
GROUPS_FILE = "groups.csv"
GROUP_COLUMNS = ["by", "group", "members", "indicator", "value", "rows", "status", "score", "weighted_total", "total",
                 "grade"]
QUALITY_COLUMNS = ["dataset", "cause", "column", "count", "rows", "share", "level", "limit", "examples"]
TOTAL_COLUMNS = ["appraisee", "name", "team", "weighted_total", "adjustments", "total", "grade", "status", "flags"]


def write_run(
    result: Result, out: Path, *, extra: Callable[[Path], None] | None = None, tables: Path | None = None,
    record: Callable[[Path, Path], AbstractContextManager[Callable[[], object]]] | None = None,
) -> Path:
    """Write `result` (and whatever `extra` adds, e.g. a rendered report) as the folder `out`;
    scores.csv and totals.csv moved from the folder `tables` when the engine wrote them there
    (`pipeline.run(tables=...)`), else written from `result`. `record(folder, out)` (the run
    store's) records the finished folder and hands back its commit: the folder's rename and the
    commit are one step that a stop (Ctrl-C, the time limit) waits for, and a commit that fails
    takes the folder away again, so the folder and the store agree.

    A machine that refuses (a full disk, a read-only folder) is an `AppraisalError` naming `out`;
    so is a folder that another run created meanwhile: the first run to finish wins."""
    out = Path(out)
    if isinstance(result.appraisees, StoredAppraisees) and result.appraisees.only is not None:
        raise AppraisalError("a run read for one appraisee (load_run(..., appraisee=)) cannot be stored: read it whole")
    partial = _partial(out)
    claimed = recorded = False
    try:
        _write_json(partial / RESULT_FILE, result)
        if isinstance(result.appraisees, StoredAppraisees):  # a copy: the result may still read it
            _linked(result.appraisees.path, partial / APPRAISEES_FILE)
        write_tables(result, partial, copied=tables)
        (partial / QUERIES_FILE).write_text(_queries_text(result), encoding="utf-8")
        if extra is not None:
            extra(partial)
        recording = record(partial, out) if record is not None else contextlib.nullcontext(lambda: None)
        with recording as commit, interrupts.deferred():  # the deferred step: a rename and an fsync
            _claim(partial, out)
            claimed = True
            commit()
            recorded = True
    except OSError as exc:
        _discard(partial)
        raise AppraisalError(f"cannot write {out}: {exc.strerror or exc}; nothing was kept") from None
    except OutcomeUnknown:  # the store may hold the run: its folder stays, so the two may agree
        interrupts.unregister_path(partial)
        raise
    except BaseException:
        if claimed and not recorded:  # the store did not take it: the folder goes too, so the two agree
            with contextlib.suppress(OSError):
                os.rename(out, partial)
        _discard(partial)
        raise
    interrupts.unregister_path(partial)
    return out


def write_tables(result: Result, folder: Path, *, copied: Path | None = None) -> list[Path]:
    """Write scores.csv, totals.csv and quality.csv (and groups.csv for a run with group rows)
    into `folder`, scores.csv and totals.csv moved from `copied` when given; text that Excel
    would run is escaped."""
    tables = [(QUALITY_FILE, QUALITY_COLUMNS, _quality_rows(result))]
    if copied is None:
        tables += [(SCORES_FILE, SCORE_COLUMNS, _score_rows(result)), (TOTALS_FILE, TOTAL_COLUMNS, _total_rows(result))]
    else:
        for name in (SCORES_FILE, TOTALS_FILE):  # linked, not moved: a write that fails can be tried again
            _linked(Path(copied) / name, Path(folder) / name)
    if result.groups:
        tables.append((GROUPS_FILE, GROUP_COLUMNS, _group_rows(result)))
    for name, header, rows in tables:
        _write_csv(Path(folder) / name, header, rows)
    return [Path(folder) / name for name in (SCORES_FILE, TOTALS_FILE, QUALITY_FILE)] + (
        [Path(folder) / GROUPS_FILE] if result.groups else [])


def _linked(source: Path, target: Path) -> None:
    """`target` as a second name of `source` (no copy), or a copy where the two are on
    different file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def write_stored(files: dict[str, bytes], out: Path) -> Path:
    """The run folder `out` from a stored run's `files` (`appraisal runs export`): each as kept,
    and scores.csv, which the store does not keep twice, written again from the cells (the same
    bytes the run wrote). Written beside `out` and renamed, never over anything."""
    out = Path(out)
    partial = _partial(out)
    try:
        for name, content in files.items():
            (partial / name).write_bytes(content)
        _write_csv(partial / SCORES_FILE, SCORE_COLUMNS, _score_rows(load_run(partial)))
        with interrupts.deferred():
            _claim(partial, out)
    except OSError as exc:
        _discard(partial)
        raise AppraisalError(f"cannot write {out}: {exc.strerror or exc}; nothing was kept") from None
    except BaseException:
        _discard(partial)
        raise
    interrupts.unregister_path(partial)
    return out


def _partial(out: Path) -> Path:
    """A new folder beside `out` to write into, removed even when a signal stops the command."""
    if out.exists():
        raise AppraisalError(_exists(out))
    parent = out.resolve().parent
    if not parent.is_dir():
        raise AppraisalError(f"cannot write {out}: the folder {parent} does not exist")
    try:
        with interrupts.deferred():  # removed even when a signal stops the run (appraisal.interrupts)
            partial = Path(tempfile.mkdtemp(prefix=f"{out.name}.partial-", dir=parent))
            interrupts.register_path(partial)
    except OSError as exc:
        raise AppraisalError(f"cannot write {out}: {exc.strerror}") from None
    return partial


def _discard(partial: Path) -> None:
    shutil.rmtree(partial, ignore_errors=True)
    interrupts.unregister_path(partial)  # only once removed: else the CLI removes it on its way out


def _exists(out: Path) -> str:
    return f"{out} already exists; choose another --out or move it away (results are never overwritten)"


def _claim(partial: Path, out: Path) -> None:
    """Rename the finished `partial` to `out`, unless `out` appeared meanwhile (another run's)."""
    if out.exists():
        raise AppraisalError(_exists(out))
    try:
        os.rename(partial, out)  # fails on a non-empty folder: never replaces another run's result
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR) or out.exists():
            raise AppraisalError(_exists(out)) from None
        raise


def load_run(folder: Path, *, appraisee: str | None = None, brief: bool = False) -> Result:
    """Read a run folder written by `write_run`; a damaged result.json (truncated, edited, of
    another shape: see appraisal.results.shape) is an `AppraisalError` saying where. With
    `appraisee`, a run stored in format 2 reads that appraisee's row alone (`explain` at
    100,000 appraisees needs one); `Result.appraisee_ids` still lists everyone. `brief`: a run
    in format 2 reads only what an earlier period's history shows (`StoredAppraisees.history`:
    ids, totals, grades and scores, the totals not concluded again)."""
    path = Path(folder) / RESULT_FILE
    if not path.is_file():
        raise AppraisalError(f"{folder} is not a run folder: it has no {RESULT_FILE}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (OSError, ValueError) as exc:
        raise AppraisalError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        shown = data.get("format") if isinstance(data, dict) else None
        raise AppraisalError(f"{path} has format {shown!r}, not {' or '.join(FORMATS)}")
    try:
        check(data)
        if data["format"] == FORMAT:
            return result_from_dict(data)
        layout = data["appraisees"]
        if not isinstance(layout, dict):
            raise Damaged("appraisees", f"{STORED_FORMAT} keeps the appraisees in a file: expected an object")
        result = result_from_dict({**data, "appraisees": []})
    except (Damaged, KeyError, TypeError, ValueError) as exc:
        raise AppraisalError(f"{path} is damaged: {exc}") from None
    if layout["file"] != APPRAISEES_FILE:
        raise AppraisalError(f"{path} is damaged: appraisees.file: expected {APPRAISEES_FILE!r}")
    stored = StoredAppraisees(Path(folder) / APPRAISEES_FILE, {k: v for k, v in layout.items() if k != "file"},
                              result.scheme, only=appraisee, brief=brief)
    # read now: a damaged file is an error here, not in the middle of a page
    stored.history if brief else stored.loaded  # noqa: B018
    return replace(result, appraisees=stored)


def _no_constant(name: str) -> None:
    """NaN and Infinity are not JSON, and `write_run` never writes them."""
    raise ValueError(f"{name} is not a JSON value")


def _write_json(path: Path, result: Result) -> None:
    """One line: without `indent`, json uses its C encoder, four times as fast at 100,000
    appraisees, and the file is a third smaller (`jq .` shows it indented)."""
    with path.open("w", encoding="utf-8") as handle:
        result.write_json(handle)
        handle.write("\n")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_csv(handle, header, rows)  # a name `=1+1` is written `'=1+1`: the file stays data in Excel


def _score_rows(result: Result) -> Iterable[list[Any]]:
    for a in result.appraisees:
        for c in a.cells:
            yield [a.id, c.indicator, c.value, c.rows, c.status, c.target, c.score, c.weight,
                   c.effective_weight, c.contribution, c.rule, c.source]


def _group_rows(result: Result) -> Iterable[list[Any]]:
    """A row per group and indicator: its pooled value and score, with the group's totals."""
    for g in result.groups:
        a = g.appraisal
        for c in a.cells:
            yield [g.by, g.key, g.members, c.indicator, c.value, c.rows, c.status, c.score, a.weighted_total,
                   a.total, a.grade]


def _quality_rows(result: Result) -> Iterable[list[Any]]:
    """Each count with the rows it was looked for among, its share, its verdict (see
    appraisal.measuring.quality) and its examples in one cell."""
    for q in result.quality:
        yield [*(q.get(c) for c in QUALITY_COLUMNS[:-1]), ", ".join(q.get("examples") or ())]


def _total_rows(result: Result) -> Iterable[list[Any]]:
    for a in result.appraisees:
        yield [a.id, a.name, a.team, a.weighted_total, a.adjustment_points, a.total, a.grade, a.status,
               ";".join(a.flags)]


def _queries_text(result: Result) -> str:
    parts = []
    for name, query in result.queries.items():
        params = ", ".join(query["params"])
        indicators = ", ".join(query["indicators"]) or "-"
        parts.append(f"-- {name}: indicators {indicators}\n-- params: {params}\n{query['sql']};\n")
    return "\n".join(parts)
