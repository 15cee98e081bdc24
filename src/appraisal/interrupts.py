"""Stopping cleanly: Ctrl-C, SIGTERM and a run's time limit, within a second, leaving nothing behind.

A DuckDB query runs in C++ and does not return to Python when a signal arrives (DuckDB 2.0 notices
a pending SIGINT only once its query has ended, minutes later), so a Python signal handler alone
cannot stop a run. While `guard()` is active (the CLI wraps every command in it):

- SIGINT, SIGTERM and SIGALRM (the time limit, armed by `set_time_limit`) get a Python handler
  that raises in the main thread (`KeyboardInterrupt`, `Terminated`, `TimedOut`), once;
- the C-level handler also writes the signal's number to a pipe (`signal.set_wakeup_fd`), which
  wakes a watchdog thread at once, whatever the main thread is doing; the watchdog interrupts
  every registered DuckDB connection (`register_connection`), so the query returns and the
  handler's exception unwinds the stack, running every `finally` on its way;
- if the main thread has still not ended `GRACE` seconds later (stuck in code that neither returns
  nor checks), or on a second signal, the watchdog removes the registered temporary paths
  (`register_path`: the engine's scratch and spill folders, a run's partial folder), prints the
  message and ends the process itself;
- when the command ends, any path still registered (its owner was stopped before it could clean
  up) is removed. `deferred()` holds the exception for the few steps between creating such a
  path and registering it.

`stop()` says why the run was stopped (None if it was not): the CLI asks it before reporting any
error, because the exception that reaches it may be whatever the interrupted code made of the
interruption. SIGINT exits 130 and SIGTERM 143 (128 + the signal's number, what a shell reports
for a process the signal ended, so scripts and service managers see the usual code); the time
limit is a user's setting and exits 1 like any other user error.

Outside `guard()` (the Python API) nothing is installed: registering is cheap bookkeeping, and
`check()` lets long loops outside DuckDB (the SQLite source's progress handler) stop on request.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

GRACE = 0.8  # seconds the main thread has to unwind before the watchdog ends the process
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_TIMED_OUT = 1


class Terminated(BaseException):
    """SIGTERM arrived: like KeyboardInterrupt, not an `Exception`, so no handler swallows it."""


class TimedOut(BaseException):
    """The run's time limit passed (see `set_time_limit`)."""


class Stop(NamedTuple):
    """Why a run was stopped: the signal, the exit code and the one line to print."""

    signum: int
    code: int
    message: str


def _stop_for(signum: int, limit: float | None) -> Stop:
    if signum == signal.SIGINT:
        return Stop(signum, EXIT_INTERRUPTED, "interrupted")
    if signum == signal.SIGTERM:
        return Stop(signum, EXIT_TERMINATED, "terminated (SIGTERM)")
    seconds = f"{limit:g}" if limit is not None else "?"
    return Stop(signum, EXIT_TIMED_OUT,
                f"stopped: the time limit of {seconds} s was reached (--timeout or APPRAISAL_TIMEOUT)")


class _State:
    """What the handlers and the watchdog share; every field is guarded by `lock`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[int, Any] = {}
        self.paths: dict[str, Path] = {}
        self.stop: Stop | None = None
        self.raised = False
        self.limit: float | None = None
        self.active = False
        self.deferring = 0  # inside `deferred()`: the handler records, the block's end raises

    def record(self, signum: int) -> Stop:
        """The stop for `signum`; the first one recorded wins."""
        with self.lock:
            if self.stop is None:
                self.stop = _stop_for(signum, self.limit)
            return self.stop

    def interrupt_all(self) -> None:
        with self.lock:
            connections = list(self.connections.values())
        for connection in connections:
            with suppress(Exception):  # a connection closed meanwhile has nothing to stop
                connection.interrupt()

    def remove_paths(self) -> None:
        import shutil  # only when a stop leaves paths to remove: every command imports this module

        with self.lock:
            paths = list(self.paths.values())
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


_state = _State()
_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGALRM", None)) if s is not None)


def register_connection(connection: Any) -> None:
    """Interrupt `connection` (anything with `.interrupt()`) when the run is stopped."""
    with _state.lock:
        _state.connections[id(connection)] = connection


def unregister_connection(connection: Any) -> None:
    with _state.lock:
        _state.connections.pop(id(connection), None)


def register_path(path: Path) -> None:
    """Remove `path` (a file or a folder) if the process has to end before its owner cleans up."""
    with _state.lock:
        _state.paths[str(path)] = Path(path)


def unregister_path(path: Path) -> None:
    with _state.lock:
        _state.paths.pop(str(path), None)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a stop's exception until the block ends: for the few steps that create something
    and register it for removal, which a stop between the two would leak."""
    with _state.lock:
        _state.deferring += 1
    try:
        yield
    finally:
        with _state.lock:
            _state.deferring -= 1
            pending = _state.stop if not _state.deferring and not _state.raised else None
            if pending is not None:
                _state.raised = True
        if pending is not None:
            raise _exception(pending)


def stop() -> Stop | None:
    """Why the current command was stopped, or None."""
    with _state.lock:
        return _state.stop


def check() -> None:
    """Raise the pending stop's exception, if the run was asked to stop (for code outside DuckDB
    that runs long without returning to the interpreter's signal check, e.g. a SQLite callback)."""
    if (pending := stop()) is not None:
        raise _exception(pending)


def stop_requested() -> bool:
    return stop() is not None


def settle() -> None:
    """The command is over: a signal from now on raises nothing (a second one still ends the
    process, see `guard`), so the final message is printed whole."""
    with _state.lock:
        _state.raised = True


def _exception(pending: Stop) -> BaseException:
    if pending.signum == signal.SIGINT:
        return KeyboardInterrupt()
    if pending.signum == signal.SIGTERM:
        return Terminated()
    return TimedOut()


def set_time_limit(seconds: float | None) -> None:
    """Stop the current command `seconds` from now (None: no limit). Only inside `guard()`."""
    with _state.lock:
        _state.limit = seconds
        active = _state.active
    if active and hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, seconds or 0)


def _handle(signum: int, frame: Any) -> None:
    """The Python-level handler: record the stop and raise it in the main thread, once."""
    pending = _state.record(signum)
    with _state.lock:
        if _state.raised or _state.deferring:
            return
        _state.raised = True
    raise _exception(pending)


class _Watchdog(threading.Thread):
    """Wakes on every caught signal (the wakeup pipe); interrupts DuckDB, then enforces GRACE."""

    def __init__(self, read_fd: int) -> None:
        super().__init__(name="appraisal-interrupts", daemon=True)
        self.read_fd = read_fd
        self.deadline: float | None = None
        self.received = 0
        self.ending = threading.Lock()

    def run(self) -> None:
        while True:
            wait = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
            if not select.select([self.read_fd], [], [], wait)[0]:
                self._end_process()
                return
            try:
                received = os.read(self.read_fd, 64)
            except OSError:
                return
            for signum in received:
                if signum == 0:  # guard() is done: the command ended by itself
                    return
                if signum not in _SIGNALS:
                    continue
                _state.record(signum)  # the handler may have recorded it already: the first stop stands
                _state.interrupt_all()
                self.received += 1  # deliveries are counted here alone: each writes one byte
                if self.received > 1:  # asked twice: do not wait any longer
                    self._end_process()
                    return
                self.deadline = time.monotonic() + GRACE

    def _end_process(self) -> None:
        """The main thread did not unwind in time: clean up for it and end the process."""
        if not self.ending.acquire(timeout=0.2):
            os._exit((stop() or _stop_for(signal.SIGINT, None)).code)  # the main thread is printing
        pending = stop() or _stop_for(signal.SIGINT, None)
        _state.remove_paths()
        try:
            os.write(2, (pending.message + "\n").encode("utf-8", "replace"))  # not sys.stderr: its lock may be held
        finally:
            os._exit(pending.code)


@contextmanager
def guard() -> Iterator[threading.Lock | None]:
    """Catch SIGINT, SIGTERM and the time limit for the block (see the module docstring).

    Yields a lock the caller holds while printing its final message, so the watchdog never
    prints a second one; None when nothing could be installed (not the main thread).
    """
    if threading.current_thread() is not threading.main_thread() or _state.active:
        yield None
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous: dict[int, Any] = {}
    old_wakeup = -1
    watchdog = _Watchdog(read_fd)
    with _state.lock:
        _state.stop, _state.raised, _state.limit, _state.active = None, False, None, True
    try:
        for signum in _SIGNALS:
            current = signal.getsignal(signum)
            if current is signal.SIG_IGN:  # started with it ignored (nohup, a background job): keep it so
                continue
            previous[signum] = current
            signal.signal(signum, _handle)
        old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        watchdog.start()
        yield watchdog.ending
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        signal.set_wakeup_fd(old_wakeup)
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        with suppress(OSError):
            os.write(write_fd, b"\0")
        if watchdog.is_alive():
            watchdog.join(timeout=1.0)
        os.close(write_fd)
        os.close(read_fd)
        _state.remove_paths()  # the command is over: whatever is still registered was left behind
        with _state.lock:
            # Nothing carries over to what the process does next (a test runner calls many commands).
            _state.active, _state.stop, _state.raised, _state.limit = False, None, False, None
            _state.paths.clear()
