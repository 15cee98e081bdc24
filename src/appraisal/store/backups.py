"""A run store checked, copied out whole, and put back: `appraisal store check|backup|restore`.

A backup is always a SQLite file: SQLite's online backup of a store file, or every record of a
PostgreSQL store copied in one snapshot (so a backup is also how a store moves between the two).
It is written under a temporary name beside the target and renamed only once it is complete and
checked, so a backup file is either whole or absent. Restoring never overwrites a store: it puts a
checked backup where no store is yet (the place the operator moved a damaged one away from; in
PostgreSQL, a database or schema holding no run and no audit entry), in one transaction. Checking
reads every page (SQLite's integrity check), every kept file against its recorded SHA-256, and
the audit log's chain.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from appraisal import interrupts
from appraisal.errors import AppraisalError
from appraisal.store import appeals, audit
from appraisal.store.backends import SqliteBackend, is_url, one_line
from appraisal.store.runs import KEPT_TABLES, RunStore, StoreUnavailable

# The order records are copied in (each after what it refers to), per table.
ORDER = {"runs": "version, id", "files": "run, name", "scheme_texts": "sha256", "audit": "seq",
         "calibrations": "seq", "appeals": "id", "appeal_decisions": "appeal", "appeal_corrections": "seq"}


def check(store: RunStore) -> list[str]:
    """What is wrong with `store` (empty when nothing is): pages SQLite finds damaged, kept files
    and evidence whose bytes are not their recorded SHA-256, and records or an audit log that are
    not as they were appended. Read in one snapshot: a run stored meanwhile is not taken for a
    record written behind appraisal's back. A server that cannot be reached is an error, not a
    problem of the store."""
    with store.backend.snapshot():
        try:
            found = store.backend.integrity_problems()
        except store.errors as exc:  # damaged past what the check can walk
            return [f"{store.backend.name}: {one_line(exc)}"]
        try:
            for run in store.runs():
                for name in store.files(run.id):
                    try:
                        store.file(run.id, name)
                    except StoreUnavailable:
                        raise
                    except AppraisalError as exc:
                        found.append(str(exc))
            with store.reading():
                found += audit.chain_problems(store.db)
                evidenced = [row[0] for row in store.db.execute(
                    "SELECT id FROM appeals WHERE evidence_name IS NOT NULL ORDER BY id").fetchall()]
            for number in evidenced:
                try:
                    appeals.evidence(store, number)
                except StoreUnavailable:
                    raise
                except AppraisalError as exc:
                    found.append(str(exc))
        except StoreUnavailable:
            raise
        except AppraisalError as exc:  # a damaged table, read through `RunStore.reading`
            found.append(str(exc))
        return found


def backup(store: RunStore, target: Path) -> int:
    """Copy `store` whole to the new SQLite file `target`; the number of runs it holds."""
    target = Path(target)
    if target.exists():
        raise AppraisalError(f"{target} already exists; a backup never overwrites a file")
    if not target.parent.is_dir():
        raise AppraisalError(f"cannot write {target}: the folder {target.parent} does not exist")
    failures: tuple[type[Exception], ...] = (*store.errors, sqlite3.Error)  # reading the store, writing the file
    with interrupts.deferred():
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.partial-", dir=target.parent)
        os.close(handle)
        interrupts.register_path(Path(name))
    try:
        if isinstance(store.backend, SqliteBackend):
            with contextlib.closing(sqlite3.connect(name)) as copy:
                store.backend.connection.backup(copy)
        else:
            with RunStore(Path(name), create=True) as copy:
                copy_records(store, copy)
        with RunStore(Path(name)) as written:
            if problems := check(written):
                raise AppraisalError(f"the backup of {store.path} did not check: {'; '.join(problems)}")
            count = len(written.runs())
        os.rename(name, target)
    except failures as exc:
        raise AppraisalError(f"cannot back up {store.path} to {target}: {one_line(exc)}; nothing was written") from None
    except OSError as exc:
        raise AppraisalError(f"cannot write {target}: {exc.strerror}; nothing was written") from None
    finally:
        Path(name).unlink(missing_ok=True)
        interrupts.unregister_path(Path(name))
    return count


def restore(source: Path, target: Path | str) -> int:
    """Put the backup `source` in place as the store `target`, where no store is; the number of
    runs restored."""
    if not is_url(target) and Path(target).exists():
        raise AppraisalError(f"a run store already exists at {target}; restoring never overwrites one "
                             "(move it away first, or restore to another --store)")
    with RunStore(Path(source)) as backed_up:
        if problems := check(backed_up):
            raise AppraisalError(f"{source} does not check, nothing was restored: {'; '.join(problems)}")
        if not is_url(target):
            return backup(backed_up, Path(target))
        try:
            return _restore_into(backed_up, str(target), source)
        except sqlite3.Error as exc:  # the backup, read while copying (writes are the store's errors)
            raise AppraisalError(f"cannot read {source}: {one_line(exc)}; nothing was restored") from None


def _restore_into(backed_up: RunStore, target: str, source: Path) -> int:
    """Copy the checked backup into the PostgreSQL store `target`, which holds nothing yet, in one
    transaction checked before it commits (an empty store made for it may stay: it holds nothing)."""
    with RunStore(target, create=True) as restored:
        with restored.writing():
            [(held,)] = restored.db.execute(
                "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM audit)").fetchall()
            if held:
                raise AppraisalError(f"a run store already exists at {restored.path}; restoring never "
                                     "overwrites one (restore to another database or schema)")
            copy_records(backed_up, restored)
            if problems := check(restored):  # rolled back: nothing restored
                raise AppraisalError(f"{source} restored to {restored.path} did not check, nothing was "
                                     f"restored: {'; '.join(problems)}")
        return len(restored.runs())


def copy_records(source: RunStore, target: RunStore) -> None:
    """Every record of `source` into the empty store `target`, as stored (the audit chain stays
    whole): read in one snapshot, written in one transaction (the caller's, else one of its own)."""
    own = not target.backend.in_transaction
    with source.backend.snapshot(), (target.writing() if own else contextlib.nullcontext()):
        for table in KEPT_TABLES:
            if table == "files":  # a run's files at a time: kept files are the bulk of a store
                for (run,) in source.db.execute("SELECT id FROM runs ORDER BY version, id").fetchall():
                    _copy(source, target, table, "SELECT * FROM files WHERE run = ? ORDER BY name", (run,))
            else:
                _copy(source, target, table, f"SELECT * FROM {table} ORDER BY {ORDER[table]}", ())


def _copy(source: RunStore, target: RunStore, table: str, sql: str, parameters: tuple[object, ...]) -> None:
    cursor = source.db.execute(sql, parameters)
    rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]
    if rows:
        target.db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
