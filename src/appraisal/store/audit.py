"""The audit log: every run and every decision, append-only, each entry chained to the one before.

Each entry records who (`--by`, else $APPRAISAL_ACTOR, else the login name), when (UTC), what
(`run`, `calibrate`, ...), of which run and appraisee, and the details as JSON; its `hash` is the
SHA-256 of all of that and of the previous entry's hash. Triggers refuse any update or delete, and
an edit made to the file behind SQLite's back (or a trigger dropped first) breaks the chain:
`chain_problems` recomputes it and names the first entry that no longer fits, and a run without
its entry shows entries removed. Entries are written in the transaction of what they record, so
a run and its entry land together or not at all.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from appraisal.store.guards import Guard, Statement

if TYPE_CHECKING:
    from appraisal.store.backends import Database

ACTOR_ENV = "APPRAISAL_ACTOR"
GENESIS = "0" * 64  # the `previous` of the first entry
# Fields a run's entry holds since 2026-12-06: entries written before lack them and are compared
# on the rest (a second entry for the same run is refused, so none can be added without them).
ADDED_RUN_KEYS = frozenset({"scheme_file", "appraisal", "appraisees"})
NOT_HASHED = "rows in a database: not hashed"  # a run's data_sha256 in its entry when its rows live in a database

SCHEMA: list[Statement] = [
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " run TEXT, appraisee TEXT, detail TEXT NOT NULL, previous TEXT NOT NULL, hash TEXT NOT NULL)",
    Guard("audit", "the audit log is append-only", "seq = NEW.seq"),
]


@dataclass(frozen=True)
class Entry:
    """One line of the audit log."""

    seq: int
    at: str
    actor: str
    action: str
    run: str | None
    appraisee: str | None
    detail: dict[str, Any]
    previous: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def actor(given: str | None = None) -> str:
    """Who acts: `given` (`--by`), else $APPRAISAL_ACTOR, else the login name."""
    if given is not None and given.strip():
        return given.strip()
    try:
        return os.environ.get(ACTOR_ENV) or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without one)
        return "unknown"


def append(db: Database, action: str, *, by: str | None = None, run: str | None = None,
           appraisee: str | None = None, detail: dict[str, Any] | None = None) -> Entry:
    """Append an entry; the caller holds the write transaction (`BEGIN IMMEDIATE`)."""
    last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, previous = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    text = json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    entry = Entry(seq, at, actor(by), action, run, appraisee, json.loads(text), previous,
                  _hash(seq, at, actor(by), action, run, appraisee, text, previous))
    db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (seq, at, entry.actor, action, run, appraisee, text, previous, entry.hash))
    return entry


def entries(db: Database, *, since: str | None = None, appraisee: str | None = None,
            run: str | None = None) -> list[Entry]:
    """The entries in order, from `since` (an ISO date or time, UTC), of `appraisee` or `run`."""
    rows = db.execute(
        "SELECT * FROM audit WHERE (CAST(?1 AS TEXT) IS NULL OR at >= ?1)"
        " AND (CAST(?2 AS TEXT) IS NULL OR appraisee = ?2) AND (CAST(?3 AS TEXT) IS NULL OR run = ?3)"
        " ORDER BY seq", (since, appraisee, run)).fetchall()
    return [Entry(int(seq), at, who, action, run_id, person, json.loads(text), previous, hashed)
            for seq, at, who, action, run_id, person, text, previous, hashed in rows]


def chain_problems(db: Database) -> list[str]:
    """Where the log no longer is what was appended: an entry whose hash does not fit its content,
    one that does not follow the entry before, a gap, or a stored run without its entry."""
    found: list[str] = []
    previous, expected = GENESIS, 1
    for seq, at, who, action, run, appraisee, text, before, stored in db.execute("SELECT * FROM audit ORDER BY seq"):
        if seq != expected:
            found.append(f"audit entry {expected} is missing" if seq == expected + 1
                         else f"audit entries {expected} to {seq - 1} are missing")
        if before != previous:
            found.append(f"audit entry {seq} does not follow the entry before it")
        if _hash(seq, at, who, action, run, appraisee, text, before) != stored:
            found.append(f"audit entry {seq} was changed after it was written")
        previous, expected = stored, seq + 1
    found += [f"run {run_id!r} has no audit entry: entries were removed" for (run_id,) in db.execute(
        "SELECT id FROM runs WHERE id NOT IN (SELECT run FROM audit WHERE action = 'run')")]
    return found + record_problems(db)


# What each kind of record must agree with in its audit entry: (action, the detail's key naming the
# record, what messages call it, SQL giving each record's key, run, appraisee, actor and the fields
# its entry's detail holds).
RECORDS = [
    ("run", "run_id", "run",
     "SELECT id, id, NULL, NULL, json_object('scheme', scheme, 'scheme_version', scheme_version, 'period', period,"
     " 'version', version, 'previous', previous, 'scheme_sha256', scheme_sha256, 'created', created, 'engine',"
     " engine, 'folder', folder, 'scheme_file', scheme_file, 'appraisal', appraisal, 'appraisees', appraisees,"
     f" 'data_sha256', CASE WHEN data_sha256 = '' THEN '{NOT_HASHED}' ELSE data_sha256 END) FROM runs"),
    ("calibrate", "calibration", "calibrate",
     "SELECT seq, run, appraisee, decided_by, json_object('before', before, 'after', after, 'reason', reason)"
     " FROM calibrations"),
    ("appeal", "appeal", "appeal",
     "SELECT id, run, appraisee, filed_by, json_object('indicator', indicator, 'reason', reason, 'due', due,"
     " 'evidence', evidence_name, 'evidence_sha256', evidence_sha256) FROM appeals"),
    ("decide", "appeal", "decide",
     "SELECT d.appeal, a.run, a.appraisee, d.decided_by, json_object('outcome', d.outcome, 'note', d.note)"
     " FROM appeal_decisions d JOIN appeals a ON a.id = d.appeal"),
    ("decide", "corrected_run", "corrected version",
     "SELECT c.run, a.run, a.appraisee, NULL, json_object('appeal', c.appeal, 'base', c.base, 'correction',"
     " c.correction) FROM appeal_corrections c JOIN appeals a ON a.id = c.appeal"),
]


def record_problems(db: Database) -> list[str]:
    """Records (runs, calibrations, appeals, decisions) that disagree with their audit entry, or
    have none, and entries whose record is gone: a row written or changed behind appraisal's back."""
    found = []
    for action, key, label, sql in RECORDS:
        entries: dict[Any, tuple[Any, ...]] = {}
        for run, appraisee, who, text in db.execute(
                "SELECT run, appraisee, actor, detail FROM audit WHERE action = ?", (action,)):
            detail = json.loads(text)
            named = detail.get(key, run if key == "run_id" else None)
            if named is None:  # a decision without a correction has no corrected run
                continue
            if named in entries:  # appended beside the true one, to speak for a changed record
                found.append(f"the {label} record {named!r} has more than one audit entry: one was added")
            entries[named] = (run, appraisee, who, detail)
        records = {}
        for name, run, appraisee, who, fields in db.execute(sql):
            records[name] = True
            entry = entries.get(name)
            if entry is None:
                found.append(f"the {label} record {name!r} has no audit entry: it was written behind appraisal's back")
                continue
            wanted = fields if isinstance(fields, dict) else json.loads(fields)  # PostgreSQL: json, loaded
            # a run's fields an older appraisal did not write into its entries are not compared
            if (entry[0], entry[1]) != (run, appraisee) or (who is not None and entry[2] != who) or any(
                    entry[3].get(k) != v for k, v in wanted.items() if not (k in ADDED_RUN_KEYS and k not in entry[3])):
                found.append(f"the {label} record {name!r} differs from its audit entry: it was changed")
        found += [f"the {label} record {name!r} of the audit log is gone" for name in entries if name not in records]
    return found + _content_problems(db)


def _content_problems(db: Database) -> list[str]:
    """Kept files and scheme texts that are not those their run's entry names (both a file and its
    recorded SHA-256 rewritten, or a scheme text replaced)."""
    found = []
    for run, text in db.execute("SELECT run, detail FROM audit WHERE action = 'run'").fetchall():
        detail = json.loads(text)
        if "files" in detail:
            kept = dict(db.execute("SELECT name, sha256 FROM files WHERE run = ?", (run,)).fetchall())
            if kept != detail["files"]:
                found.append(f"the files kept of run {run!r} are not those its audit entry names: they were changed")
        if "scheme_text_sha256" in detail:
            row = db.execute("SELECT s.text FROM scheme_texts s JOIN runs r ON r.scheme_sha256 = s.sha256"
                             " WHERE r.id = ?", (run,)).fetchone()
            if row is None:
                found.append(f"the scheme text of run {run!r} is missing: it was removed")
            elif hashlib.sha256(str(row[0]).encode("utf-8")).hexdigest() != detail["scheme_text_sha256"]:
                found.append(f"the scheme text of run {run!r} is not the one its audit entry names: it was changed")
    return found


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()
