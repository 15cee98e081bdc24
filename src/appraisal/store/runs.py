"""The run store: every run kept whole, immutable, in a SQLite file or PostgreSQL; a re-run is a new version.

An appraisal decides pay, so a run is evidence: `appraisal run` records the finished run folder's
files (result.json, appraisees.parquet with every cell and its trace, totals, quality, groups and
the SQL), the scheme's text and the hashes in one transaction, whose commit is one step with the
folder's rename (`results.storing.write_run`): Ctrl-C or a full disk leaves both or neither, a
kill never leaves part of a run in the store. Running the same scheme for the same period again
makes version 2, linked to version 1, which stays. Triggers refuse UPDATE, DELETE and INSERT OR
REPLACE; an edit behind SQLite's back is found by the recorded hashes and the audit log's chain
(`appraisal store check`).

The file is found at `--store`, else `$APPRAISAL_STORE`, else `appraisal-runs.sqlite` in the
working folder. It is recognised by SQLite's application id: another SQLite database, a file
that is not SQLite, or one of a newer format is refused with a message and never written to.
Two runs storing at once both land (WAL, a busy timeout, `BEGIN IMMEDIATE` around the version
count). A `postgresql://` URL keeps the same tables in a PostgreSQL database instead; what differs
between the two is `store.backends`' (and `store.guards`' for the refusals of change).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from appraisal.errors import AppraisalError, OutcomeUnknown
from appraisal.store import appeals, audit, calibration
from appraisal.store.backends import Backend, SqliteBackend, is_url, one_line, shown
from appraisal.store.guards import Guard, Statement
from appraisal.suggestions import suggest

STORE_ENV = "APPRAISAL_STORE"
DEFAULT_FILE = "appraisal-runs.sqlite"
APPLICATION_ID = 0x41505052  # "APPR" in the SQLite header: this file is a run store
FORMAT = 2  # SQLite's user_version: 2 added appeal corrections
KEPT = ("result.json", "appraisees.parquet", "totals.csv", "quality.csv", "groups.csv", "queries.sql")
BUSY_MS = 60_000  # another run storing: wait this long for it

SCHEMA: list[Statement] = [
    "CREATE TABLE runs (id TEXT PRIMARY KEY, scheme TEXT NOT NULL, scheme_version TEXT NOT NULL,"
    " period TEXT NOT NULL, version INTEGER NOT NULL, previous TEXT REFERENCES runs(id), created TEXT NOT NULL,"
    " scheme_file TEXT NOT NULL, scheme_sha256 TEXT NOT NULL, data_sha256 TEXT NOT NULL, engine TEXT NOT NULL,"
    " appraisal TEXT NOT NULL, appraisees INTEGER NOT NULL, folder TEXT NOT NULL, UNIQUE (scheme, period, version))",
    "CREATE TABLE files (run TEXT NOT NULL REFERENCES runs(id), name TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " content BLOB NOT NULL, PRIMARY KEY (run, name))",
    "CREATE TABLE scheme_texts (sha256 TEXT PRIMARY KEY, text TEXT NOT NULL)",
    *(Guard(table, f"stored runs are evidence: {table} cannot be changed", existing,
            keep_existing=table == "scheme_texts")
      for table, existing in (("runs", "id = NEW.id"), ("files", "run = NEW.run AND name = NEW.name"),
                              ("scheme_texts", "sha256 = NEW.sha256"))),
    *audit.SCHEMA,
    *calibration.SCHEMA,
    *appeals.SCHEMA,
    *appeals.CORRECTIONS_SCHEMA,
]
# What a store of an earlier format gains when it is opened: statements by the format they upgrade from.
UPGRADES: dict[int, list[Statement]] = {1: appeals.CORRECTIONS_SCHEMA}
KEPT_TABLES = ("runs", "files", "scheme_texts", "audit", "calibrations", "appeals", "appeal_decisions",
               "appeal_corrections")


class StoreUnavailable(AppraisalError):
    """The store's server could not be reached or answer in time: the store itself may be sound."""


@dataclass(frozen=True)
class StoredRun:
    """One stored run, as `appraisal runs list` shows it."""

    id: str
    scheme: str
    scheme_version: str
    period: str
    version: int
    previous: str | None
    created: str
    scheme_file: str
    scheme_sha256: str
    data_sha256: str
    engine: str
    appraisal: str
    appraisees: int
    folder: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def store_location(given: Path | str | None = None) -> Path | str:
    """Where the store is: `given`, else $APPRAISAL_STORE, else the working folder's file; a
    PostgreSQL URL stays text (a path would fold its `//`)."""
    place = given if given is not None else (os.environ.get(STORE_ENV) or DEFAULT_FILE)
    return str(place) if is_url(place) else Path(place)


class RunStore:
    """The store at `place`, a file or a PostgreSQL URL (see the module docstring and
    `store.backends`); `create` makes a missing one."""

    backend: Backend

    def __init__(self, place: Path | str, *, create: bool = False) -> None:
        hint = " (--store FILE to keep runs elsewhere, or --no-store)" if create else ""
        if is_url(place):
            self.path: Path | str = shown(str(place))
            try:
                from appraisal.store.postgres_backend import PostgresBackend  # psycopg: an extra, for a URL only
            except ImportError:
                raise AppraisalError(f"a run store in PostgreSQL ({self.path}) needs psycopg: "
                                     "pip install 'appraisal[postgres]'") from None
            self.backend = PostgresBackend(str(place), BUSY_MS, APPLICATION_ID)
        else:
            self.path = path = Path(place)
            if not path.exists() and not create:
                raise AppraisalError(f"no run store at {path}: `appraisal run` creates it "
                                     f"(--store PATH or ${STORE_ENV} to use another)")
            if path.is_dir():
                raise AppraisalError(f"{path} is a folder, not a run store")
            if not path.parent.is_dir():
                raise AppraisalError(f"cannot open the run store {path}: the folder {path.parent} "
                                     f"does not exist{hint}")
            try:
                self.backend = SqliteBackend(path, BUSY_MS)
            except sqlite3.Error as exc:
                raise AppraisalError(f"cannot open the run store {path}: {exc}{hint}") from None
        self.db = self.backend.db
        self.errors = self.backend.errors
        try:
            self._check_or_create(create)
            if create:  # a store that cannot be written is said now, not after an hour of measuring
                self.backend.check_writable(KEPT_TABLES)
        except AppraisalError:
            self.close()
            raise
        except self.backend.unusable as exc:  # locked past the timeout, read-only, a full disk
            self.close()
            raise AppraisalError(f"cannot use the run store {self.path}: {one_line(exc)}{hint}") from None
        except self.errors as exc:  # not SQLite at all, a damaged header or schema, foreign tables
            self.close()
            raise AppraisalError(f"{self.path} is not an appraisal run store, or is damaged ({one_line(exc)}); "
                                 "it was not changed") from None
        except BaseException:
            self.close()
            raise

    def _check_or_create(self, create: bool) -> None:
        backend = self.backend
        if backend.blank(KEPT_TABLES):
            if not create:
                raise AppraisalError(f"no run store at {self.path}: `appraisal run` creates it "
                                     f"(--store PATH or ${STORE_ENV} to use another)")
            backend.begin_write()  # two first runs at once: one creates, the other sees it
            try:
                if backend.blank(KEPT_TABLES):
                    backend.create(SCHEMA, APPLICATION_ID, FORMAT)
                backend.commit()
            except BaseException:
                self._roll_back()
                raise
        found, format_ = backend.header()
        if found != APPLICATION_ID:
            raise AppraisalError(f"{self.path} is not an appraisal run store ({backend.foreign()}); it was not changed")
        if format_ > FORMAT:
            raise AppraisalError(f"{self.path} was written by a newer appraisal (store format {format_}); "
                                 "upgrade appraisal to read it")
        if format_ < FORMAT:
            self._upgrade()
        if missing := set(KEPT_TABLES) - set(backend.tables()):
            raise AppraisalError(f"{self.path} is damaged: it lacks the tables {', '.join(sorted(missing))}")
        backend.opened()

    def _upgrade(self) -> None:
        """Bring a store of an earlier format to this one, in one transaction: its records stay as
        they are, the tables later formats added are created."""
        self.backend.begin_write()
        try:
            _, format_ = self.backend.header()  # another process may have upgraded it meanwhile
            for step in range(format_, FORMAT):
                self.backend.upgrade(UPGRADES[step], step + 1)
            self.backend.commit()
        except self.backend.unusable as exc:
            self._roll_back()
            raise AppraisalError(f"the run store {self.path} is of an earlier format and cannot be upgraded "
                                 f"({one_line(exc)}); open it once where it can be written") from None
        except BaseException:
            self._roll_back()
            raise

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def recording(self, folder: Path, published: Path, *, scheme_text: str, data_hashed: bool = True,
                  then: Callable[[StoredRun], object] | None = None) -> Iterator[Callable[[], StoredRun]]:
        """Record the finished run folder `folder` (to be renamed `published`) in one transaction
        and hand back its commit: the caller renames the folder, then commits (both in one step
        a stop waits for: see `results.storing.write_run`). Leaving the block without committing
        rolls back. `scheme_text` is the scheme file's own text as the run read it
        (`scheme.extending.scheme_texts`); `data_hashed` is false when rows live in a database,
        whose tables the fingerprint names but cannot hash. `then` writes what belongs with the
        run into the same transaction (an appeal's decision, for a corrected version)."""
        files = {name: (folder / name).read_bytes() for name in KEPT if (folder / name).is_file()}
        if "appraisees.parquet" not in files:
            raise AppraisalError("only a run scored in the engine can be stored (its appraisees in "
                                 "appraisees.parquet): in Python, run(..., tables=FOLDER) as `appraisal run` does")
        result = json.loads(files["result.json"])
        provenance, scheme = result["provenance"], result["scheme"]
        kept: list[StoredRun] = []
        entries: list[audit.Entry] = []

        def commit() -> StoredRun:
            try:
                self.backend.commit()
            except self.errors as exc:
                self._roll_back()
                # the answer to COMMIT may be what was lost: this run's own audit entry says
                found = self.backend.landed("SELECT 1 FROM audit WHERE hash = ?", (entries[0].hash,))
                if found:
                    return kept[0]
                if found is None:
                    raise OutcomeUnknown(f"the run store {self.path} did not answer whether it kept the run "
                                         f"({one_line(exc)}): `appraisal runs list` says; the folder {published} "
                                         "is kept") from None
                raise AppraisalError(f"cannot store the run in {self.path}: {one_line(exc)}; nothing was kept"
                                     ) from None
            return kept[0]

        try:
            self.backend.begin_write()
            [(latest, previous)] = self.db.execute(
                "SELECT max(version), (SELECT id FROM runs WHERE scheme = ?1 AND period = ?2 ORDER BY version DESC"
                " LIMIT 1) FROM runs WHERE scheme = ?1 AND period = ?2",
                (scheme["id"], result["period"]["label"])).fetchall()
            version = (latest or 0) + 1
            run = StoredRun(
                id=f"{scheme['id']}-{result['period']['label']}-v{version}", scheme=scheme["id"],
                scheme_version=str(scheme["version"]), period=result["period"]["label"], version=version,
                previous=previous, created=self.backend.now().isoformat(timespec="seconds"),
                scheme_file=provenance["scheme_file"], scheme_sha256=provenance["scheme_sha256"],
                data_sha256=provenance["data_sha256"] if data_hashed else "",
                engine=(provenance.get("engine") or {}).get("name", "duckdb"),
                appraisal=provenance["appraisal"], appraisees=int(result["appraisees"]["count"]),
                folder=str(published.resolve()))
            fields = run.as_dict()
            self.db.execute(f"INSERT INTO runs ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                            tuple(fields.values()))
            hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
            self.db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", [
                (run.id, name, hashes[name], data) for name, data in files.items()])
            self.db.execute("INSERT INTO scheme_texts VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (run.scheme_sha256, scheme_text))
            # every field of the record, the files' hashes and the scheme text's: an edit made with
            # the guards switched off is found by `store check` (audit.record_problems)
            entries.append(audit.append(self.db, "run", run=run.id, detail={
                "scheme": run.scheme, "scheme_version": run.scheme_version, "period": run.period,
                "version": run.version, "previous": run.previous, "scheme_sha256": run.scheme_sha256,
                "data_sha256": run.data_sha256 or audit.NOT_HASHED, "engine": run.engine,
                "folder": run.folder, "created": run.created, "scheme_file": run.scheme_file,
                "appraisal": run.appraisal, "appraisees": run.appraisees, "files": hashes,
                "scheme_text_sha256": hashlib.sha256(scheme_text.encode("utf-8")).hexdigest()}))
            kept.append(run)
            if then is not None:
                then(run)
        except self.errors as exc:  # a full disk, a read-only file, a lock held past the timeout
            self._roll_back()
            raise AppraisalError(f"cannot store the run in {self.path}: {one_line(exc)}; nothing was kept") from None
        except BaseException:
            self._roll_back()
            raise
        try:
            yield commit
        finally:
            self._roll_back()  # not committed by the caller: nothing stays

    def _roll_back(self) -> None:
        self.backend.roll_back()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction (a decision and its audit entry): committed whole, or nothing."""
        try:
            self.backend.begin_write()
            yield
            self.backend.commit()
        except self.errors as exc:
            self._roll_back()
            raise AppraisalError(f"cannot write to the run store {self.path}: {one_line(exc)}; nothing was kept"
                                 ) from None
        except BaseException:
            self._roll_back()
            raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """SQLite's errors while reading (a damaged page) as a message that names the file."""
        try:
            yield
        except self.backend.unreachable as exc:  # the server, not the store: nothing is damaged
            raise StoreUnavailable(f"cannot read the run store {self.path}: {one_line(exc)}") from None
        except self.errors as exc:
            raise AppraisalError(f"the run store {self.path} cannot be read ({one_line(exc)}); `appraisal store check` "
                                 "says what is damaged, `appraisal store restore` puts a backup in place") from None

    def runs(self, *, scheme: str | None = None, period: str | None = None) -> list[StoredRun]:
        """The stored runs, oldest first, of `scheme` and `period` when given."""
        with self.reading():
            rows = self.db.execute(
                "SELECT * FROM runs WHERE (CAST(?1 AS TEXT) IS NULL OR scheme = ?1)"
                " AND (CAST(?2 AS TEXT) IS NULL OR period = ?2)"
                " ORDER BY created, scheme, period, version", (scheme, period)).fetchall()
        return [StoredRun(*row) for row in rows]

    def get(self, run_id: str) -> StoredRun:
        """The run `run_id`; an unknown id is an error with the closest stored one."""
        with self.reading():
            row = self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            known = [] if row is not None else [r[0] for r in self.db.execute("SELECT id FROM runs")]
        if row is None:
            close = suggest(run_id, known)
            hint = f"; did you mean {close!r}?" if close else (" (it holds no run yet)" if not known else "")
            raise AppraisalError(f"no run {run_id!r} in {self.path}{hint}")
        return StoredRun(*row)

    def file(self, run_id: str, name: str) -> bytes:
        """A kept file of run `run_id`, checked against its recorded SHA-256."""
        with self.reading():
            row = self.db.execute("SELECT sha256, content FROM files WHERE run = ? AND name = ?",
                                  (run_id, name)).fetchone()
        if row is None:
            raise AppraisalError(f"run {run_id!r} in {self.path} keeps no {name}")
        if hashlib.sha256(row[1]).hexdigest() != row[0]:
            raise AppraisalError(f"the {name} of run {run_id!r} in {self.path} does not match its recorded SHA-256: "
                                 "the store was changed outside appraisal")
        return bytes(row[1])

    def holding(self, name: str, content: bytes, folder: Path | None = None) -> StoredRun | None:
        """The stored run that keeps file `name` with exactly these bytes: how a run folder is
        known as a stored run. Several (a run repeated on the same data): the one stored from
        `folder`, else the latest."""
        digest = hashlib.sha256(content).hexdigest()
        here = str(folder.resolve()) if folder is not None else None
        with self.reading():
            row = self.db.execute("SELECT r.* FROM runs r JOIN files f ON f.run = r.id WHERE f.name = ? AND"
                                  " f.sha256 = ? ORDER BY CASE WHEN r.folder = ? THEN 1 ELSE 0 END DESC,"
                                  " r.created DESC, r.version DESC LIMIT 1", (name, digest, here)).fetchone()
        return None if row is None else StoredRun(*row)

    def files(self, run_id: str) -> list[str]:
        """The names of the files kept of run `run_id`."""
        with self.reading():
            return [row[0] for row in self.db.execute("SELECT name FROM files WHERE run = ? ORDER BY name",
                                                      (run_id,)).fetchall()]

    def scheme_text(self, run: StoredRun) -> str:
        with self.reading():
            row = self.db.execute("SELECT text FROM scheme_texts WHERE sha256 = ?", (run.scheme_sha256,)).fetchone()
        if row is None:
            raise AppraisalError(f"the scheme text of run {run.id!r} is missing from {self.path}: the store was "
                                 "changed outside appraisal (`appraisal store check`)")
        return str(row[0])
