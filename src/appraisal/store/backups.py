"""A run store checked, copied out whole, and put back: `appraisal store check|backup|restore`.

A backup is SQLite's online backup of the store (consistent while other runs write), written
under a temporary name beside the target and renamed only once it is complete and checked, so a
backup file is either whole or absent. Restoring never overwrites a store: it puts a checked
backup where no store is yet (the place the operator moved a damaged one away from). Checking
reads every page (SQLite's integrity check) and every kept file against its recorded SHA-256.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from appraisal import interrupts
from appraisal.errors import AppraisalError
from appraisal.store import audit
from appraisal.store.runs import RunStore


def check(store: RunStore) -> list[str]:
    """What is wrong with `store` (empty when nothing is): pages SQLite finds damaged, kept files
    whose bytes are not their recorded SHA-256, and an audit log that is not as it was appended."""
    try:
        found = [f"SQLite: {row[0]}" for row in store.db.execute("PRAGMA integrity_check") if row[0] != "ok"]
    except sqlite3.DatabaseError as exc:  # damaged past what the check can walk
        return [f"SQLite: {exc}"]
    try:
        for run in store.runs():
            for name in store.files(run.id):
                try:
                    store.file(run.id, name)
                except AppraisalError as exc:
                    found.append(str(exc))
        with store.reading():
            found += audit.chain_problems(store.db)
    except AppraisalError as exc:  # a damaged table, read through `RunStore.reading`
        found.append(str(exc))
    return found


def backup(store: RunStore, target: Path) -> int:
    """Copy `store` whole to the new file `target`; the number of runs it holds."""
    target = Path(target)
    if target.exists():
        raise AppraisalError(f"{target} already exists; a backup never overwrites a file")
    if not target.parent.is_dir():
        raise AppraisalError(f"cannot write {target}: the folder {target.parent} does not exist")
    with interrupts.deferred():
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.partial-", dir=target.parent)
        os.close(handle)
        interrupts.register_path(Path(name))
    try:
        with contextlib.closing(sqlite3.connect(name)) as copy:
            store.db.backup(copy)
        with RunStore(Path(name)) as written:
            if problems := check(written):
                raise AppraisalError(f"the backup of {store.path} did not check: {'; '.join(problems)}")
            count = len(written.runs())
        os.rename(name, target)
    except sqlite3.Error as exc:
        raise AppraisalError(f"cannot back up {store.path} to {target}: {exc}; nothing was written") from None
    except OSError as exc:
        raise AppraisalError(f"cannot write {target}: {exc.strerror}; nothing was written") from None
    finally:
        Path(name).unlink(missing_ok=True)
        interrupts.unregister_path(Path(name))
    return count


def restore(source: Path, target: Path) -> int:
    """Put the backup `source` in place as the store `target`, where no store is; the number of
    runs restored."""
    target = Path(target)
    if target.exists():
        raise AppraisalError(f"a run store already exists at {target}; restoring never overwrites one "
                             "(move it away first, or restore to another --store)")
    with RunStore(Path(source)) as backed_up:
        if problems := check(backed_up):
            raise AppraisalError(f"{source} does not check, nothing was restored: {'; '.join(problems)}")
        return backup(backed_up, target)
