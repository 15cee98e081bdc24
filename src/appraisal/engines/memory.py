"""How much memory the engine may use, where it spills beyond that, and what running out means.

The memory limit bounds the whole process. DuckDB's buffer pool gets the limit less a reserve
(`engine_limit`) for what the process holds beside it: the Python program with its modules
(about 100 MB) and the values it reads back, and DuckDB's own memory outside the pool
(per-thread buffers, the allocator's caches). DuckDB holds at most its share and writes the
rest to a temporary folder. The limit and the folder are settings of a run: `--memory-limit`
and `--spill-dir` on `run` and `measure`, or APPRAISAL_MEMORY_LIMIT and APPRAISAL_SPILL_DIR
(the command line wins). A query that still needs more memory than the limit fails with
DuckDB's out-of-memory error, which becomes `OutOfMemory`: one message that names the
setting to raise, exit 1, never a bug report.

Nothing here imports DuckDB: the command line sets these before the engine starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appraisal.errors import AppraisalError

MEMORY_LIMIT_ENV = "APPRAISAL_MEMORY_LIMIT"
SPILL_DIR_ENV = "APPRAISAL_SPILL_DIR"
DEFAULT_MEMORY_LIMIT = "1GB"

# DuckDB's units: KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB powers of 1024.
_UNITS = {
    "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
# The reserve: a third of the limit, at most 384 MB. The shipped agent scheme at 10M tickets peaked
# 190-270 MiB above DuckDB's share (with the allocator settings below), whatever the share, the
# most while the measured values become Python objects with DuckDB's buffers still full.
RESERVED_SHARE = 1 / 3
RESERVED_MOST = 384 * 1000**2
# DuckDB's allocator gives freed memory back to the system sooner than by default (128 MiB kept
# per thread): part of what the process holds beside the pool.
ALLOCATOR_SETTINGS: dict[str, str | bool] = {"allocator_flush_threshold": "16MiB", "allocator_background_threads": True}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", re.IGNORECASE)
_ORIGIN = f"--memory-limit or {MEMORY_LIMIT_ENV}"

_chosen: dict[str, str | None] = {"memory_limit": None, "spill_dir": None}


class OutOfMemory(AppraisalError):
    """The engine needed more memory than its limit allows, even spilling to disk."""


def parse_size(text: str) -> int:
    """Bytes of a size as DuckDB reads it (`4GB`, `500MB`, `1.5GiB`); a clear error otherwise."""
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        raise AppraisalError(f"memory limit {text!r} is not a size: give a number and a unit, such as 4GB,"
                             f" 500MB or 2GiB ({_ORIGIN})")
    return int(float(match.group(1)) * _UNITS[unit])


def engine_limit(limit: int) -> int:
    """Bytes DuckDB's buffer pool may hold when the process may hold `limit` bytes."""
    return limit - min(int(limit * RESERVED_SHARE), RESERVED_MOST)


@contextmanager
def configured(limit: str | None = None, spill: Path | None = None) -> Iterator[None]:
    """Engines opened inside use memory limit `limit` and spill into `spill` (None: the
    environment's, else the defaults); the settings before are restored on leaving."""
    if limit is not None:
        parse_size(limit)
    if spill is not None and not spill.is_dir():
        raise AppraisalError(f"spill folder {spill} is not a folder (--spill-dir or {SPILL_DIR_ENV})")
    before = dict(_chosen)
    _chosen.update(memory_limit=limit, spill_dir=None if spill is None else str(spill))
    try:
        yield
    finally:
        _chosen.update(before)


def memory_limit() -> str:
    """The memory limit as DuckDB takes it: the one set, else APPRAISAL_MEMORY_LIMIT, else 1GB."""
    text = _chosen["memory_limit"] or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    parse_size(text)
    return text.strip()


def spill_dir() -> Path | None:
    """The folder to spill into (checked: an existing folder), or None for the system's own."""
    chosen = _chosen["spill_dir"] or os.environ.get(SPILL_DIR_ENV)
    if not chosen:
        return None
    folder = Path(chosen)
    if not folder.is_dir():
        raise AppraisalError(f"spill folder {chosen} is not a folder (--spill-dir or {SPILL_DIR_ENV})")
    return folder


def is_out_of_memory(exc: BaseException) -> bool:
    """DuckDB's out-of-memory error, or any error whose text says it ran out of memory."""
    return type(exc).__name__ == "OutOfMemoryException" or "out of memory" in str(exc).lower()


def out_of_memory() -> OutOfMemory:
    """The message for a query that did not fit: the limit and how to raise it."""
    return OutOfMemory(
        f"the engine ran out of memory (limit {memory_limit()}, spilling to disk beyond it): raise the limit with"
        f" --memory-limit (or {MEMORY_LIMIT_ENV}), e.g. --memory-limit 4GB, and check that the spill folder"
        f" (--spill-dir or {SPILL_DIR_ENV}, default the system's temporary folder) has free space"
    )
