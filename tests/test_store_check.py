"""`appraisal store check` on a store file: each run's audit entry names every field of its record,
its kept files' SHA-256 and its scheme text's, so a record rewritten together with its hash is
found; entries an earlier appraisal wrote, without those names, still check.

Each test stores the shipped agent scheme's run on its demo data (seed 2026, 2026-Q3) and edits
the file as someone with the sqlite3 shell would (the triggers dropped first).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from appraisal.store.audit import GENESIS, _hash
from stored_runs import appraise, cli

V1 = "after-sales-agent-2026-Q3-v1"
NEW_KEYS = ("scheme_file", "appraisal", "appraisees", "files", "scheme_text_sha256")


def stored(agent: Path, tmp_path: Path) -> Path:
    store = tmp_path / "runs.sqlite"
    done = appraise(agent, tmp_path / "q3", store)
    assert done.returncode == 0, done.stderr
    return store


def untriggered(store: Path) -> sqlite3.Connection:
    db = sqlite3.connect(store, isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


@pytest.mark.parametrize(("edit", "named"), [
    ("UPDATE files SET content = CAST('x' AS BLOB), sha256 = '{x}' WHERE name = 'totals.csv'",
     f"the files kept of run '{V1}' are not those its audit entry names"),
    ("DELETE FROM files", f"the files kept of run '{V1}' are not those its audit entry names"),
    ("UPDATE scheme_texts SET text = text || ' '", f"the scheme text of run '{V1}' is not the one its audit entry"),
    ("UPDATE runs SET data_sha256 = '{x}'", f"the run record '{V1}' differs from its audit entry"),
], ids=["a file and its hash", "every file", "the scheme text", "the data's hash"])
def test_a_record_rewritten_together_with_its_hash_is_found(agent: Path, tmp_path: Path, edit: str,
                                                            named: str) -> None:
    store = stored(agent, tmp_path)
    with untriggered(store) as db:
        db.execute(edit.format(x=hashlib.sha256(b"x").hexdigest()))
    done = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and named in done.stderr, done.stderr


def test_a_run_entry_written_before_files_were_named_in_it_still_checks(agent: Path, tmp_path: Path) -> None:
    """An entry as appraisal wrote it before (no files, scheme text, count or file name in it),
    chained as it was: nothing to compare those with, nothing called changed."""
    store = stored(agent, tmp_path)
    db = untriggered(store)
    [(seq, at, who, action, run, appraisee, text)] = db.execute(
        "SELECT seq, at, actor, action, run, appraisee, detail FROM audit").fetchall()
    older = {k: v for k, v in json.loads(text).items() if k not in NEW_KEYS}
    detail = json.dumps(older, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    db.execute("UPDATE audit SET detail = ?, hash = ? WHERE seq = ?",
               (detail, _hash(seq, at, who, action, run, appraisee, detail, GENESIS), seq))
    db.close()
    done = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("edit", "named"), [
    ("UPDATE runs SET appraisees = 49, engine = 'spark'", f"the run record '{V1}' has more than one audit entry"),
    ("DELETE FROM scheme_texts", f"the scheme text of run '{V1}' is missing"),
], ids=["run record", "scheme text removed"])
def test_an_entry_appended_to_speak_for_a_changed_record_is_found(agent: Path, tmp_path: Path, edit: str,
                                                                  named: str) -> None:
    """The chain has no secret: whoever drops the triggers can append a well-chained entry. One
    naming a record that has its entry already is found, whatever it holds."""
    store = stored(agent, tmp_path)
    with untriggered(store) as db:
        db.execute(edit)
        [(seq, last)] = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchall()
        at, detail = "2026-12-06T00:00:00.000000+00:00", "{}"
        db.execute("INSERT INTO audit VALUES (?, ?, 'hr', 'run', ?, NULL, ?, ?, ?)",
                   (seq + 1, at, V1, detail, last, _hash(seq + 1, at, "hr", "run", V1, None, detail, last)))
    done = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and named in done.stderr, done.stderr


def test_verify_of_a_run_whose_scheme_text_was_removed_is_a_message(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    with untriggered(store) as db:
        db.execute("DELETE FROM scheme_texts")
    done = cli("runs", "verify", V1, "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and f"the scheme text of run '{V1}' is missing" in done.stderr, done.stderr
