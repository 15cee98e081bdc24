"""Many pages written by worker processes: on two cores, 10,000 scorecards in about half the time.

Each page is written by a function `page(i) -> Path` that renders the i-th page and writes it
(atomically). `write_pages` calls it for every page, in this process or in forked workers that
take the next batch of pages from a shared counter, and returns the paths in the pages' order,
whoever wrote them. A page is rendered from the same template and context either way, so the files
and their bytes are the same (tests/test_render_workers.py holds it to that).

Why fork: a worker needs the run's whole result (any page may show any of it: `result` is in every
template's context) and the compiled templates. A forked worker has both at no cost, where a
spawned one would unpickle 10,000 appraisees (about two seconds each) and compile every template
again. Fork is safe only in a process whose threads are all Python's own (the CLI's signal
watchdog, waiting in `select`): a native thread, such as a DuckDB pool's, may hold a lock the
child then never sees released. So workers are used only when /proc/self/task lists no thread
that `threading` does not know, on a system that forks; otherwise every page is written here.

Stopping: the workers ignore Ctrl-C (the terminal sends it to the whole process group) and leave
it to this process, which ends them (SIGTERM: each removes the page it was writing) on any
exception, a signal's included, before it goes on unwinding.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from appraisal.errors import AppraisalError

MIN_PAGES = 200  # fewer pages are written here: starting workers would cost more than it saves
MAX_WORKERS = 4
BATCH = 100  # pages a worker takes at a time: small enough to share the work out evenly
_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGALRM", None)) if s is not None)


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Every object alive now kept out of the cyclic garbage collector's passes for the block
    (`gc.freeze`): a run's whole result, which every page reads, is scanned again and again
    otherwise as the pages make garbage (at 10,000 scorecards about a second). Nested blocks
    thaw only when the outermost ends."""
    outermost = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if outermost:
            gc.unfreeze()


def fork_is_safe() -> bool:
    """True when this process may fork workers: it can, and every thread it has is a Python thread."""
    if not hasattr(os, "fork") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return False
    return threads == threading.active_count()


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(pages: int, wanted: int | None = None) -> int:
    """How many processes write `pages` pages: `wanted` if given (1: this process alone), else one
    per usable CPU (at most MAX_WORKERS) from MIN_PAGES pages on; 1 when forking is not safe."""
    count = wanted if wanted is not None else (min(usable_cpus(), MAX_WORKERS) if pages >= MIN_PAGES else 1)
    if count < 1:
        raise AppraisalError(f"workers must be at least 1, not {count}")
    return min(count, max(pages, 1)) if count > 1 and fork_is_safe() else 1


def write_pages(count: int, page: Callable[[int], Path], *, workers: int | None = None,
                progress: Callable[[Path], None] | None = None) -> list[Path]:
    """`page(i)` for i in range(count), by `worker_count(count, workers)` processes; the paths in
    order. `progress(path)` is called here once per page written, as batches come back."""
    if (processes := worker_count(count, workers)) <= 1:
        written = []
        for i in range(count):
            written.append(path := page(i))
            if progress is not None:
                progress(path)
        return written
    batches = [range(start, min(start + BATCH, count)) for start in range(0, count, BATCH)]
    done: dict[int, list[Path]] = {}
    with _workers(processes, page, batches) as connections:
        while connections:
            for ready in wait(connections):
                connection = cast(Connection, ready)
                try:
                    kind, index, payload = connection.recv()
                except EOFError:
                    raise AppraisalError("a worker process writing pages stopped unexpectedly") from None
                if kind == "error":
                    raise cast(Exception, payload)
                if kind == "done":
                    connections.remove(connection)
                    continue
                done[index] = paths = cast(list[Path], payload)
                if progress is not None:
                    for path in paths:
                        progress(path)
    return [path for index in range(len(batches)) for path in done[index]]


@contextlib.contextmanager
def _workers(processes: int, page: Callable[[int], Path],
             batches: list[range]) -> Iterator[list[Connection]]:
    """Forked workers taking batches from a shared counter, each sending back
    ("batch", index, paths) per batch and ("done", -1, None) at the end (or ("error", -1, exception));
    all of them ended and joined when the block is left."""
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    started: list[Any] = []
    ours: list[Connection] = []
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # none arrives between fork and setup
    try:
        with frozen():  # objects made before the fork stay out of the collector's reach: fewer pages copied
            for _ in range(processes):
                receiving, sending = context.Pipe(duplex=False)
                worker = context.Process(target=_work, args=(sending, counter, page, batches, old_mask), daemon=True)
                worker.start()
                sending.close()
                started.append(worker)
                ours.append(receiving)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    try:
        yield list(ours)
    finally:
        for worker in started:
            if worker.is_alive():
                worker.terminate()
        for worker in started:
            worker.join(timeout=2)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for connection in ours:
            connection.close()


def _work(sending: Connection, counter: Any, page: Callable[[int], Path], batches: list[range],
          mask: Any) -> None:
    """A worker: its own signal handling, then batches until none is left."""
    signal.set_wakeup_fd(-1)  # the parent's watchdog pipe is not ours to write to
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    try:
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value += 1
            if index >= len(batches):
                break
            sending.send(("batch", index, [page(i) for i in batches[index]]))
        sending.send(("done", -1, None))
    except Exception as exc:  # handed to the parent, which raises it
        sending.send(("error", -1, _picklable(exc)))
    finally:
        sending.close()


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM from the parent: unwind (a page half written is removed on the way) and exit."""
    sys.exit(128 + signum)


def _picklable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling, else its message as an `AppraisalError`."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return AppraisalError(f"{type(exc).__name__}: {exc}")
    return exc
