"""Appeals (申诉): filed against a stored run within the scheme's window, decided by a named person.

An appeal names the run, the appraisee and, if it concerns one, the indicator, with the reason
and any evidence file (kept whole, with its SHA-256). It must be filed within the scheme's
`appeals.within_days` of the run and is due `decide_within_days` after filing; one still open
after that is overdue. Its decision (accepted or rejected, a note, who, when) is final: a second
one is refused. Appeals, evidence and decisions are append-only, each written with its audit
entry in one transaction.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal.errors import AppraisalError
from appraisal.store import audit
from appraisal.store.guards import Guard, Statement
from appraisal.suggestions import suggest

if TYPE_CHECKING:
    from appraisal.store.runs import RunStore

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
OUTCOMES = ("accepted", "rejected")

SCHEMA: list[Statement] = [
    "CREATE TABLE appeals (id INTEGER PRIMARY KEY, run TEXT NOT NULL REFERENCES runs(id), appraisee TEXT NOT NULL,"
    " indicator TEXT, reason TEXT NOT NULL, filed_by TEXT NOT NULL, filed_at TEXT NOT NULL, due TEXT NOT NULL,"
    " evidence_name TEXT, evidence_sha256 TEXT, evidence BLOB)",
    "CREATE TABLE appeal_decisions (appeal INTEGER PRIMARY KEY REFERENCES appeals(id), outcome TEXT NOT NULL"
    " CHECK (outcome IN ('accepted', 'rejected')), note TEXT NOT NULL, decided_by TEXT NOT NULL,"
    " decided_at TEXT NOT NULL)",
    *(Guard(table, f"appeals are evidence: {table} cannot be changed", f"{key} = NEW.{key}")
      for table, key in (("appeals", "id"), ("appeal_decisions", "appeal"))),
]
# Store format 2: what an accepted appeal corrected, and the run version it produced.
CORRECTIONS_SCHEMA: list[Statement] = [
    "CREATE TABLE appeal_corrections (appeal INTEGER PRIMARY KEY REFERENCES appeal_decisions(appeal),"
    " base TEXT NOT NULL REFERENCES runs(id), run TEXT NOT NULL UNIQUE REFERENCES runs(id), correction TEXT NOT NULL,"
    " seq INTEGER NOT NULL UNIQUE)",  # seq: the order they were decided in, which is the order they apply in
    Guard("appeal_corrections", "appeals are evidence: appeal_corrections cannot be changed",
          "appeal = NEW.appeal OR run = NEW.run"),
]


@dataclass(frozen=True)
class Appeal:
    """An appeal and, once decided, its decision."""

    id: int
    run: str
    appraisee: str
    indicator: str | None
    reason: str
    filed_by: str
    filed_at: str
    due: str
    evidence_name: str | None
    evidence_sha256: str | None
    outcome: str | None = None
    note: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.outcome is None and now > datetime.fromisoformat(self.due)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file(store: RunStore, run_id: str, appraisee: str, *, reason: str, by: str | None = None,
         indicator: str | None = None, evidence: Path | None = None, now: datetime | None = None) -> Appeal:
    """File an appeal against run `run_id` for `appraisee` (see the module docstring)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)  # stored and compared as UTC text
    if not reason.strip():
        raise AppraisalError("an appeal needs its reason (--reason)")
    if by is not None and not by.strip():
        raise AppraisalError("--by names who files the appeal (leave it out for $APPRAISAL_ACTOR or the login name)")
    run = store.get(run_id)
    result = json.loads(store.file(run.id, "result.json"))
    days = {"within_days": 7, "decide_within_days": 14, **(result["scheme"].get("appeals") or {})}
    closes = datetime.fromisoformat(run.created) + timedelta(days=days["within_days"])
    if now > closes:
        raise AppraisalError(f"the appeal window of run {run.id} closed on {closes.date()} "
                             f"({days['within_days']} days after the run: the scheme's appeals.within_days)")
    import pyarrow.parquet as pq  # Arrow and numpy: 0.1 s that every stored run would pay for importing this module

    people = pq.read_table(io.BytesIO(store.file(run.id, "appraisees.parquet")), columns=["appraisee"],
                           use_threads=False)["appraisee"].to_pylist()
    _known("appraisee", appraisee, people, run.id)
    if indicator is not None:
        _known("indicator", indicator, [str(i["id"]) for i in result["scheme"]["indicators"]], run.id)
    name, digest, content = _evidence(evidence)
    filed_at = now.isoformat(timespec="seconds")
    due = (now + timedelta(days=days["decide_within_days"])).isoformat(timespec="seconds")
    who = audit.actor(by)
    with store.writing():
        [(number,)] = store.db.execute("SELECT coalesce(max(id), 0) + 1 FROM appeals").fetchall()
        store.db.execute("INSERT INTO appeals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (number, run.id, appraisee, indicator, reason.strip(), who, filed_at, due, name, digest,
                          content))
        audit.append(store.db, "appeal", by=who, run=run.id, appraisee=appraisee, detail={
            "appeal": number, "indicator": indicator, "reason": reason.strip(), "due": due,
            "evidence": name, "evidence_sha256": digest})
    return Appeal(int(number), run.id, appraisee, indicator, reason.strip(), who, filed_at, due, name, digest)


def decide(store: RunStore, number: int, outcome: str, *, note: str, by: str,
           now: datetime | None = None) -> Appeal:
    """Decide appeal `number`: `accepted` or `rejected`, with a note and who decided; final. An
    accepted appeal that corrects the run is decided by `record_correction` instead."""
    check_decision(outcome, note, by)
    with store.writing():  # read under the lock: of two deciding at once, the second is told the first's decision
        _insert_decision(store, number, outcome, note=note, by=by, now=now)
    return get(store, number)


def check_decision(outcome: str, note: str, by: str) -> None:
    """Refuse a decision without its outcome, note or name, before anything is computed."""
    if outcome not in OUTCOMES:
        raise AppraisalError(f"an appeal is accepted or rejected, not {outcome!r}")
    if not note.strip():
        raise AppraisalError("a decision on an appeal needs its note (--note): the appraisee is told why")
    if not by.strip():
        raise AppraisalError("a decision on an appeal needs who decided (--by)")


def record_correction(store: RunStore, number: int, *, note: str, by: str, correction: dict[str, Any],
                      base: str, corrected: str) -> None:
    """Accept appeal `number` with `correction`, which produced the stored run `corrected` from
    run `base` (the run first computed, whose corrections it carries). Called inside the new
    version's own transaction (`RunStore.recording`): the decision, the correction, the run and
    their audit entries are kept together or not at all."""
    check_decision("accepted", note, by)
    _insert_decision(store, number, "accepted", note=note, by=by,  # first: the correction refers to it
                     extra={"corrected_run": corrected, "base": base, "correction": _correction_text(correction)})
    [(seq,)] = store.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM appeal_corrections").fetchall()
    store.db.execute("INSERT INTO appeal_corrections VALUES (?, ?, ?, ?, ?)",
                     (number, base, corrected, _correction_text(correction), seq))


def corrections(store: RunStore, base: str) -> list[dict[str, Any]]:
    """The corrections of the appeals accepted on run `base` and its corrected versions, in the
    order they were decided (not their numbers': a later decision applies after), with the run
    each produced (`produced`)."""
    with store.reading():
        rows = store.db.execute("SELECT correction, run FROM appeal_corrections WHERE base = ? ORDER BY seq",
                                (base,)).fetchall()
    return [{**json.loads(text), "produced": run} for text, run in rows]


def corrected_by(store: RunStore, number: int) -> str | None:
    """The run version appeal `number`'s correction produced, if any."""
    with store.reading():
        row = store.db.execute("SELECT run FROM appeal_corrections WHERE appeal = ?", (number,)).fetchone()
    return None if row is None else str(row[0])


def _correction_text(correction: dict[str, Any]) -> str:
    return json.dumps(correction, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _insert_decision(store: RunStore, number: int, outcome: str, *, note: str, by: str,
                     now: datetime | None = None, extra: dict[str, Any] | None = None) -> None:
    """The decision row and its audit entry; the caller holds the write transaction."""
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    found = get(store, number)
    if found.outcome is not None:
        raise AppraisalError(f"appeal {number} was {found.outcome} already, by {found.decided_by} on "
                             f"{found.decided_at}: a decision is final")
    store.db.execute("INSERT INTO appeal_decisions VALUES (?, ?, ?, ?, ?)",
                     (number, outcome, note.strip(), by.strip(), at))
    audit.append(store.db, "decide", by=by, run=found.run, appraisee=found.appraisee, detail={
        "appeal": number, "outcome": outcome, "note": note.strip(), "late": at > found.due, **(extra or {})})


def get(store: RunStore, number: int) -> Appeal:
    """Appeal `number`; an unknown one is an error."""
    found = appeals(store, number=number)
    if not found:
        raise AppraisalError(f"no appeal {number} in {store.path}")
    return found[0]


def appeals(store: RunStore, *, run: str | None = None, number: int | None = None) -> list[Appeal]:
    """The appeals, oldest first (of `run`, or appeal `number`), each with its decision if any."""
    with store.reading():
        rows = store.db.execute(
            "SELECT a.id, a.run, a.appraisee, a.indicator, a.reason, a.filed_by, a.filed_at, a.due, a.evidence_name,"
            " a.evidence_sha256, d.outcome, d.note, d.decided_by, d.decided_at FROM appeals a LEFT JOIN"
            " appeal_decisions d ON d.appeal = a.id WHERE (CAST(?1 AS TEXT) IS NULL OR a.run = ?1)"
            " AND (CAST(?2 AS BIGINT) IS NULL OR a.id = ?2)"
            " ORDER BY a.id", (run, number)).fetchall()
    return [Appeal(*row) for row in rows]


def evidence(store: RunStore, number: int) -> tuple[str, bytes]:
    """The evidence file of appeal `number`, checked against its recorded SHA-256."""
    with store.reading():
        row = store.db.execute("SELECT evidence_name, evidence_sha256, evidence FROM appeals WHERE id = ?",
                               (number,)).fetchone()
    if row is None or row[0] is None:
        raise AppraisalError(f"appeal {number} has no evidence file")
    if hashlib.sha256(row[2]).hexdigest() != row[1]:
        raise AppraisalError(f"the evidence of appeal {number} does not match its recorded SHA-256")
    return str(row[0]), bytes(row[2])


def _known(what: str, name: str, known: list[str], run_id: str) -> None:
    if name not in known:
        close = suggest(name, known)
        raise AppraisalError(f"no {what} {name!r} in run {run_id}" + (f"; did you mean {close!r}?" if close else ""))


def _evidence(path: Path | None) -> tuple[str | None, str | None, bytes | None]:
    """The evidence file's name, SHA-256 and bytes: a regular file, read to at most the limit."""
    if path is None:
        return None, None, None
    too_big = AppraisalError(f"the evidence file {path} is over {MAX_EVIDENCE_BYTES // 1024 // 1024} MB")
    try:
        if not path.is_file():  # a device or a pipe would be read forever
            raise AppraisalError(f"the evidence {path} is not a regular file")
        with path.open("rb") as handle:
            content = handle.read(MAX_EVIDENCE_BYTES + 1)  # a file that grows meanwhile stops here
    except OSError as exc:
        raise AppraisalError(f"cannot read the evidence file {path}: {exc.strerror}") from None
    if len(content) > MAX_EVIDENCE_BYTES:
        raise too_big
    return path.name, hashlib.sha256(content).hexdigest(), content
