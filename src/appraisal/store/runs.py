"""The run store: every run kept whole in one SQLite file, immutable; a re-run is a new version.

An appraisal decides pay, so a run is evidence: `appraisal run` records the finished run folder's
files (result.json, appraisees.parquet with every cell and its trace, totals, quality, groups and
the SQL), the scheme's text and the hashes in one transaction, committed only once the folder
has taken its name, so a run killed at any moment leaves either both or neither. Running the
same scheme for the same period again makes version 2, linked to version 1, which stays.
Triggers refuse any update or delete, so a stored run cannot be edited through SQLite either.

The file is found at `--store`, else `$APPRAISAL_STORE`, else `appraisal-runs.sqlite` in the
working folder. It is recognised by SQLite's application id: another SQLite database, a file
that is not SQLite, or one of a newer format is refused with a message and never written to.
Two runs storing at once both land (WAL, a busy timeout, `BEGIN IMMEDIATE` around the version
count). The storage interface is `RunStore`'s methods, so a PostgreSQL store can follow.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from appraisal.errors import AppraisalError
from appraisal.store import audit
from appraisal.suggestions import suggest

STORE_ENV = "APPRAISAL_STORE"
DEFAULT_FILE = "appraisal-runs.sqlite"
APPLICATION_ID = 0x41505052  # "APPR" in the SQLite header: this file is a run store
FORMAT = 1  # SQLite's user_version
KEPT = ("result.json", "appraisees.parquet", "totals.csv", "quality.csv", "groups.csv", "queries.sql")
BUSY_MS = 60_000  # another run storing: wait this long for it

SCHEMA = [
    "CREATE TABLE runs (id TEXT PRIMARY KEY, scheme TEXT NOT NULL, scheme_version TEXT NOT NULL,"
    " period TEXT NOT NULL, version INTEGER NOT NULL, previous TEXT REFERENCES runs(id), created TEXT NOT NULL,"
    " scheme_file TEXT NOT NULL, scheme_sha256 TEXT NOT NULL, data_sha256 TEXT NOT NULL, engine TEXT NOT NULL,"
    " appraisal TEXT NOT NULL, appraisees INTEGER NOT NULL, folder TEXT NOT NULL, UNIQUE (scheme, period, version))",
    "CREATE TABLE files (run TEXT NOT NULL REFERENCES runs(id), name TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " content BLOB NOT NULL, PRIMARY KEY (run, name))",
    "CREATE TABLE scheme_texts (sha256 TEXT PRIMARY KEY, text TEXT NOT NULL)",
    *(f"CREATE TRIGGER {table}_{change}_refused BEFORE {change} ON {table}"
      f" BEGIN SELECT RAISE(ABORT, 'stored runs are evidence: {table} cannot be changed'); END"
      for table in ("runs", "files", "scheme_texts") for change in ("UPDATE", "DELETE")),
    *audit.SCHEMA,
]
KEPT_TABLES = ("runs", "files", "scheme_texts", "audit")


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


def store_path(given: Path | None = None) -> Path:
    """Where the store is: `given`, else $APPRAISAL_STORE, else the working folder's file."""
    if given is not None:
        return Path(given)
    return Path(os.environ.get(STORE_ENV) or DEFAULT_FILE)


class RunStore:
    """The store at `path` (see the module docstring); `create` makes a missing file."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise AppraisalError(f"no run store at {self.path}: `appraisal run` creates it "
                                 f"(--store PATH or ${STORE_ENV} to use another)")
        if self.path.is_dir():
            raise AppraisalError(f"{self.path} is a folder, not a run store")
        if not self.path.parent.is_dir():
            raise AppraisalError(f"cannot open the run store {self.path}: the folder {self.path.parent} does not exist")
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise AppraisalError(f"cannot open the run store {self.path}: {exc}") from None
        try:
            self._check_or_create()
        except BaseException:
            self.db.close()
            raise

    def _check_or_create(self) -> None:
        try:
            found, format_ = self._header()
            if found == 0 and format_ == 0:
                self.db.execute("BEGIN IMMEDIATE")  # two first runs at once: one creates, the other sees it
                try:
                    found, format_ = self._header()
                    if found == 0 and format_ == 0 and not self._tables():
                        for statement in (f"PRAGMA application_id = {APPLICATION_ID}",
                                          f"PRAGMA user_version = {FORMAT}", *SCHEMA, "COMMIT"):
                            self.db.execute(statement)
                        self.db.execute("PRAGMA journal_mode = WAL")  # kept by the file: readers beside a writer
                        found, format_ = APPLICATION_ID, FORMAT
                    else:
                        self.db.execute("ROLLBACK")
                except BaseException:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as exc:  # not SQLite at all, or a damaged header
            raise AppraisalError(f"{self.path} is not an appraisal run store ({exc}); it was not changed") from None
        if found != APPLICATION_ID:
            raise AppraisalError(f"{self.path} is another program's SQLite database, not an appraisal run store; "
                                 "it was not changed")
        if format_ > FORMAT:
            raise AppraisalError(f"{self.path} was written by a newer appraisal (store format {format_}); "
                                 "upgrade appraisal to read it")
        if set(KEPT_TABLES) - set(self._tables()):
            raise AppraisalError(f"{self.path} is damaged: it lacks the tables "
                                 f"{', '.join(sorted(set(KEPT_TABLES) - set(self._tables())))}")
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")

    def _header(self) -> tuple[int, int]:
        [(application,)] = self.db.execute("PRAGMA application_id").fetchall()
        [(format_,)] = self.db.execute("PRAGMA user_version").fetchall()
        return int(application), int(format_)

    def _tables(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def recording(self, folder: Path, published: Path) -> Iterator[StoredRun]:
        """Record the finished run folder `folder` (to be renamed `published`) in one transaction,
        committed when the block ends without an error (the folder has its name), else rolled back."""
        files = {name: (folder / name).read_bytes() for name in KEPT if (folder / name).is_file()}
        result = json.loads(files["result.json"])
        provenance, scheme = result["provenance"], result["scheme"]
        scheme_file = Path(provenance["scheme_file"])
        text = _scheme_text(scheme_file, provenance["scheme_sha256"])
        try:
            self.db.execute("BEGIN IMMEDIATE")
            [(latest, previous)] = self.db.execute(
                "SELECT max(version), (SELECT id FROM runs WHERE scheme = ?1 AND period = ?2 ORDER BY version DESC"
                " LIMIT 1) FROM runs WHERE scheme = ?1 AND period = ?2",
                (scheme["id"], result["period"]["label"])).fetchall()
            version = (latest or 0) + 1
            run = StoredRun(
                id=f"{scheme['id']}-{result['period']['label']}-v{version}", scheme=scheme["id"],
                scheme_version=str(scheme["version"]), period=result["period"]["label"], version=version,
                previous=previous, created=datetime.now(UTC).isoformat(timespec="seconds"),
                scheme_file=str(scheme_file), scheme_sha256=provenance["scheme_sha256"],
                data_sha256=provenance["data_sha256"], engine=(provenance.get("engine") or {}).get("name", "duckdb"),
                appraisal=provenance["appraisal"], appraisees=int(result["appraisees"]["count"]),
                folder=str(published.resolve()))
            fields = run.as_dict()
            self.db.execute(f"INSERT INTO runs ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                            tuple(fields.values()))
            self.db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", [
                (run.id, name, hashlib.sha256(data).hexdigest(), data) for name, data in files.items()])
            self.db.execute("INSERT OR IGNORE INTO scheme_texts VALUES (?, ?)", (run.scheme_sha256, text))
            audit.append(self.db, "run", run=run.id, detail={
                "scheme": run.scheme, "scheme_version": run.scheme_version, "period": run.period,
                "version": run.version, "previous": run.previous, "scheme_sha256": run.scheme_sha256,
                "data_sha256": run.data_sha256, "engine": run.engine, "folder": run.folder})
            yield run
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:  # a full disk, a read-only file, a lock held past the timeout
            self._roll_back()
            raise AppraisalError(f"cannot store the run in {self.path}: {exc}; nothing was kept") from None
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """SQLite's errors while reading (a damaged page) as a message that names the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise AppraisalError(f"the run store {self.path} cannot be read ({exc}); `appraisal store check` "
                                 "says what is damaged, `appraisal store restore` puts a backup in place") from None

    def runs(self, *, scheme: str | None = None, period: str | None = None) -> list[StoredRun]:
        """The stored runs, oldest first, of `scheme` and `period` when given."""
        with self.reading():
            rows = self.db.execute(
                "SELECT * FROM runs WHERE (?1 IS NULL OR scheme = ?1) AND (?2 IS NULL OR period = ?2)"
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

    def files(self, run_id: str) -> list[str]:
        """The names of the files kept of run `run_id`."""
        with self.reading():
            return [row[0] for row in self.db.execute("SELECT name FROM files WHERE run = ? ORDER BY name",
                                                      (run_id,)).fetchall()]

    def scheme_text(self, run: StoredRun) -> str:
        with self.reading():
            [(text,)] = self.db.execute("SELECT text FROM scheme_texts WHERE sha256 = ?",
                                        (run.scheme_sha256,)).fetchall()
        return str(text)


def _scheme_text(path: Path, digest: str) -> str:
    """The scheme's text as the run read it: the file now must hash to what the run recorded."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AppraisalError(f"cannot store the run: cannot read its scheme {path}: {exc.strerror}") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise AppraisalError(f"cannot store the run: the scheme {path} changed while it ran; run it again")
    return data.decode("utf-8")
