"""The data's fingerprint: what a result records of the files it read.

`run` stores it in the result's provenance; `explain` and the drill-down pages compare it before
they show rows, since an explanation of different data would be a false one.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appraisal.scheme.model import Scheme

_CHUNK = 1 << 20


def data_fingerprint(scheme: Scheme) -> str:
    """SHA-256 over every declared file's name and bytes, in a fixed order, and the name of
    every table of the database a dataset reads (`source: table`; its rows are the database's
    to keep, and cannot be hashed here)."""
    return data_files(scheme)[0]


class Stopped(Exception):
    """Hashing was stopped (`Hashing.stop`): the run it was for failed."""


def data_files(scheme: Scheme, stop: threading.Event | None = None) -> tuple[str, list[dict[str, str]]]:
    """The fingerprint (`data_fingerprint`) and each file's own SHA-256, in one read of the files:
    a stored run verified again can name the file that changed (appraisal.store). `stop`, once
    set, ends the reading (`Stopped`)."""
    sources = scheme.sources()
    files = [s.path for s in sources if not s.in_database]
    digest = hashlib.sha256()
    for table in sorted(str(s.table) for s in sources if s.in_database):
        digest.update(b"table:" + table.encode("utf-8") + b"\0")
    each = []
    for path in sorted(set(files)):
        own = hashlib.sha256()
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                if stop is not None and stop.is_set():
                    raise Stopped
                digest.update(chunk)
                own.update(chunk)
        digest.update(b"\0")
        each.append({"file": str(path.resolve()), "sha256": own.hexdigest()})
    return digest.hexdigest(), each


class Hashing:
    """`data_files(scheme)` computed on a thread from the moment it is made, while the engine
    reads the same files: SHA-256 releases the interpreter's lock, so at 10 million rows the
    0.25 s of hashing the files (twice: the fingerprint and each file's own) overlaps the
    engine's work instead of following it. Made once the files have passed the engine's checks
    (`open_engine(checked=...)`): nothing outside the data roots is ever read. `result()` waits
    and gives it, or raises what hashing raised; `stop()` ends it (the run failed)."""

    def __init__(self, scheme: Scheme) -> None:
        self._found: tuple[str, list[dict[str, str]]] | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hash, args=(scheme,), name="appraisal-hashing", daemon=True)
        self._thread.start()

    def _hash(self, scheme: Scheme) -> None:
        try:
            self._found = data_files(scheme, self._stop)
        except BaseException as exc:  # handed to the caller of result(), in its thread
            self._error = exc

    def result(self) -> tuple[str, list[dict[str, str]]]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._found is not None
        return self._found

    def stop(self) -> None:
        """End the hashing at its next block and wait for it (at most one block's read)."""
        self._stop.set()
        self._thread.join()
