"""Progress on long runs: one line that redraws itself on a terminal, two lines in a log.

    with progress_bar(len(files), "PDF") as bar:
        for f in files:
            ...
            bar.advance()

On a terminal the bar redraws one line with carriage returns (at most about ten times a second)
and ends with a newline. Elsewhere (CI logs, pipes) it prints a start line and an end line only.
With `quiet=True` it prints nothing. No third-party dependency.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

WIDTH = 30
INTERVAL = 0.1  # seconds between redraws on a terminal


class ProgressBar:
    """Counts finished items out of `total` and shows them (see the module docstring)."""

    def __init__(self, total: int, label: str, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        # No stream (stderr closed: `2>&-`) is no reason to fail a run: nothing is shown.
        self.total, self.label, self.quiet = max(int(total), 0), label, quiet or self.stream is None
        self.done = 0
        self.tty = not quiet and _isatty(self.stream)
        self._started = self._drawn = time.monotonic()

    def start(self) -> None:
        if self.quiet:
            return
        if self.tty:
            self._draw()
        else:
            self._line(f"{self.label}: {self.total} to do")

    def advance(self, n: int = 1) -> None:
        """Count `n` more items as done."""
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        if self.tty and (self.done == self.total or time.monotonic() - self._drawn >= INTERVAL):
            self._draw()

    def finish(self, failed: bool = False) -> None:
        if self.quiet:
            return
        seconds = time.monotonic() - self._started
        if self.tty:
            self._draw()
            self._write("\n")
        if failed:
            self._line(f"{self.label}: stopped after {self.done} of {self.total} ({seconds:.1f} s)")
        elif not self.tty:
            self._line(f"{self.label}: {self.done} of {self.total} done in {seconds:.1f} s")

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = round(WIDTH * share)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self._write(f"\r{self.label} [{bar}] {self.done}/{self.total} {share:4.0%}")
        self._drawn = time.monotonic()

    def _line(self, text: str) -> None:
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        """Show `text`; a stream that broke (a pipe whose reader left) silences the bar, never the run."""
        if self.quiet:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.quiet, self.tty = True, False


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextmanager
def progress_bar(total: int, label: str, *, quiet: bool = False, stream: TextIO | None = None) -> Iterator[ProgressBar]:
    """A `ProgressBar` for `total` items, started on entry and finished on exit."""
    bar = ProgressBar(total, label, quiet=quiet, stream=stream)
    bar.start()
    try:
        yield bar
    except BaseException:
        bar.finish(failed=True)
        raise
    bar.finish()
