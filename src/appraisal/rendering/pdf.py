"""PDF: self-contained HTML reports printed to A4 by headless Chromium.

One browser process serves a whole run: it is started once with a fresh, private profile and
driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`, standard library only),
so each file costs a page load and a print (tens of milliseconds), not a browser start (about a
second). The page size and margins come from the templates' print CSS (`@page { size: A4 }`).

The browser is `$APPRAISAL_CHROMIUM` if set, else the first of chromium, chromium-browser,
google-chrome, google-chrome-stable on PATH. `Chromium` is public so that tests and tools can
look at a page the way a reader would (console messages, the DOM, screenshots).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import quote, unquote, urlsplit

from appraisal import interrupts
from appraisal.errors import AppraisalError
from appraisal.rendering import booklets

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
)
INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install chromium) or set APPRAISAL_CHROMIUM to its path"


def find_chromium() -> str:
    """The browser to use, or an `AppraisalError` saying how to get one."""
    if configured := os.environ.get("APPRAISAL_CHROMIUM"):
        if found := shutil.which(configured):
            return found
        raise AppraisalError(f"APPRAISAL_CHROMIUM={configured}: no such program; {INSTALL_HINT}")
    for name in NAMES:
        if found := shutil.which(name):
            return found
    raise AppraisalError(f"PDF output needs Chromium (chromium), which is not installed: {INSTALL_HINT}")


class Chromium:
    """A headless Chromium with one page, driven over the DevTools pipe. Use as a context manager.

    `call(method, **params)` sends one protocol command to the page and returns its result;
    `events` holds every event the page sent (`{"method": ..., "params": ...}`), oldest first.
    """

    def __init__(self, executable: str | None = None, *, timeout: float = 60.0,
                 width: int = 1200, height: int = 1600) -> None:
        self.executable, self.timeout, self.size = executable or find_chromium(), timeout, (width, height)
        self.events: list[dict[str, Any]] = []
        self._next_id, self._buffer, self._session = 0, b"", None
        self._own: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._in = self._out = -1  # the DevTools pipe's ends, once open
        self._log: IO[bytes] | None = None

    def __enter__(self) -> Self:
        with interrupts.deferred():  # removed even when a signal ends the process (appraisal.interrupts)
            self._profile = tempfile.TemporaryDirectory(prefix="appraisal-chromium-")
            interrupts.register_path(Path(self._profile.name))
        try:
            self._launch(Path(self._profile.name))
            self._attach()
        except BaseException as exc:
            # A `with` block does not call __exit__ when __enter__ fails, and a Ctrl-C may come
            # at any point of the start: nothing of the browser may stay (its folders included).
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def _launch(self, profile: Path) -> None:
        to_browser = from_browser = -1
        try:
            to_browser, self._out = os.pipe()
            self._in, from_browser = os.pipe()
            self._log = (profile / "stderr.log").open("wb")
            self._process = subprocess.Popen(
                [self.executable, *FLAGS, f"--user-data-dir={profile / 'profile'}",
                 f"--window-size={self.size[0]},{self.size[1]}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=_browser_environment(profile),
                # Chromium reads the pipe on fds 3 and 4, and only a preexec_fn can renumber
                # descriptors; it makes two dup2 calls and nothing else (no lock, no import).
                close_fds=False, preexec_fn=lambda: _map_fds(to_browser, from_browser),
                start_new_session=True,  # its own process group: its helpers end with it (`_kill`)
            )
        except OSError as exc:
            raise AppraisalError(f"cannot start {self.executable}: {exc.strerror}") from exc
        finally:  # the browser's ends of the pipe are its own now (or nobody's)
            for fd in (to_browser, from_browser):
                if fd >= 0:
                    os.close(fd)

    def _attach(self) -> None:
        target = self._send("Target.createTarget", {"url": "about:blank"}, None)["targetId"]
        attach = {"targetId": target, "flatten": True}
        self._session = self._send("Target.attachToTarget", attach, None)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        if (own := self._own_folder()) is not None:
            self._own = own
            interrupts.register_path(own)

    def __exit__(self, *exc_info: object) -> None:
        if self._own is None and self._process is not None:  # a start that stopped half-way
            self._own = self._own_folder()
        try:
            if self._process is not None and self._process.poll() is None:
                if exc_info and exc_info[0] is not None:
                    # Failing or stopped (Ctrl-C must end the run within a second): no polite
                    # close; what Chromium leaves (its profile, its own folder) is removed below.
                    self._kill()
                else:
                    self._close()
        finally:  # a signal during the polite close still leaves nothing behind
            if self._process is not None and self._process.poll() is None:
                self._kill()
            self._cleanup()

    def _close(self) -> None:
        """Ask the browser to close, and end it if it does not within five seconds."""
        assert self._process is not None
        try:
            self._send("Browser.close", {}, None, timeout=5)
            self._process.wait(timeout=5)
        except (AppraisalError, subprocess.TimeoutExpired):
            self._kill()

    def kill(self) -> None:
        """End the browser now, from any thread: what it was doing fails with "Chromium stopped
        unexpectedly"; leaving the `with` block still removes its folders."""
        if self._process is not None and self._process.poll() is None:
            self._kill()

    def _kill(self) -> None:
        """End the browser and its helper processes (renderer, GPU, zygote) at once, so none is
        still writing into the profile folder while it is removed."""
        assert self._process is not None
        with contextlib.suppress(OSError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.kill()
        self._process.wait()

    def _own_folder(self) -> Path | None:
        """The folder Chromium makes for itself in the temporary folder (its process-singleton
        socket, which the profile's `SingletonSocket` links to). A browser that closes removes
        it; a killed one does not, so `_cleanup` does."""
        try:
            folder = Path(os.readlink(Path(self._profile.name) / "profile" / "SingletonSocket")).parent
        except OSError:
            return None
        return folder if folder.name.startswith("org.chromium.Chromium.") else None

    def _cleanup(self) -> None:
        for fd in (self._in, self._out):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._in = self._out = -1
        if self._log is not None:
            self._log.close()
        self._profile.cleanup()
        interrupts.unregister_path(Path(self._profile.name))
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)
            interrupts.unregister_path(self._own)

    @property
    def scratch(self) -> Path:
        """A private folder that goes with the browser (its profile's parent)."""
        return Path(self._profile.name)

    def call(self, method: str, timeout: float | None = None, **params: Any) -> dict[str, Any]:
        """Send `method` to the page; its result, or an `AppraisalError` on an error or timeout."""
        return self._send(method, params, self._session, timeout=timeout)

    def open(self, url: str, timeout: float | None = None) -> None:
        """Load `url` and wait for its load event."""
        start = len(self.events)
        self.call("Page.navigate", timeout=timeout, url=url)
        deadline = time.monotonic() + (timeout or self.timeout)
        while not any(e["method"] == "Page.loadEventFired" for e in self.events[start:]):
            self._receive(deadline, url)

    def _send(self, method: str, params: dict[str, Any], session: str | None,
              timeout: float | None = None) -> dict[str, Any]:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params,
                   **({"sessionId": session} if session else {})}
        try:
            os.write(self._out, json.dumps(message).encode() + b"\0")
        except OSError as exc:
            raise AppraisalError(f"{self._died()}: {exc.strerror}") from exc
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AppraisalError(f"Chromium: {method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def _receive(self, deadline: float, doing: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise AppraisalError(f"Chromium did not finish {doing} in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise AppraisalError(self._died())
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        if "method" in (message := json.loads(raw)):
            self.events.append(message)
        return message

    def _died(self) -> str:
        if self._log is not None and not self._log.closed:
            self._log.flush()
        tail = (Path(self._profile.name) / "stderr.log").read_text("utf-8", "replace").strip().splitlines()[-3:]
        return "Chromium stopped unexpectedly" + (": " + " / ".join(tail) if tail else "")


# A link annotation as Chromium (Skia) writes it: `/URI (file:///...)`, a literal string in an
# uncompressed object; `\\` escapes `(`, `)` and `\\` inside it.
_FILE_LINK = re.compile(rb"/URI \((file://(?:[^()\\]|\\.)*)\)")


def relative_links(pdf: bytes, target: Path, printed_as: Mapping[Path, Path], tree: Path) -> bytes:
    """`pdf` (to be written at `target`) with its links to local files made relative.

    Chromium resolves every link of a page to an absolute `file://` URL: the path of the folder
    the HTML was printed from (a temporary one), which would point nowhere on any other machine
    and tell where the report was made. A link to a page printed in the same run
    (`printed_as`: HTML file -> its PDF) becomes the relative path to that PDF; a link to another
    file that exists in the folder `tree` (a drill-down page) the relative path to it; any other
    local link is emptied. Each URI is rewritten in place, padded with spaces to its old length,
    so every byte offset in the file (its cross-reference table) stays true.
    """

    def rewrite(match: re.Match[bytes]) -> bytes:
        uri = re.sub(rb"\\(.)", rb"\1", match.group(1)).decode("latin-1")
        path = Path(unquote(urlsplit(uri).path)).resolve()
        fragment = urlsplit(uri).fragment
        if path in printed_as:
            relative = os.path.relpath(printed_as[path], target.parent)
        elif path.is_relative_to(tree) and path.is_file():
            relative = os.path.relpath(path, target.parent)
        else:
            relative = ""
        shown = quote(Path(relative).as_posix()) + (f"#{quote(fragment)}" if fragment else "") if relative else ""
        replacement = b"/URI (" + shown.encode("ascii") + b")"
        if len(replacement) > len(match.group(0)):
            replacement = b"/URI ()"
        return replacement + b" " * (len(match.group(0)) - len(replacement))

    return _FILE_LINK.sub(rewrite, pdf)


_SOCKET = "/org.chromium.Chromium.XXXXXX/SingletonSocket"  # where Chromium puts its socket, in TMPDIR
_SOCKET_PATH_MAX = 107  # a Unix socket's path: 108 bytes with the final NUL


def _browser_environment(private: Path) -> dict[str, str] | None:
    """Chromium's environment: ours, with TMPDIR our `private` folder, so what Chromium makes
    there goes with it even when a stop kills the browser before it says where; else /tmp, when
    ours is too long to hold its socket's path (Chromium then stops at once: "Socket path too
    long"); else ours."""
    for folder in (str(private), tempfile.gettempdir(), "/tmp"):
        if len(os.fsencode(folder + _SOCKET)) <= _SOCKET_PATH_MAX and os.path.isdir(folder):
            return {**os.environ, "TMPDIR": folder}
    return None


def _map_fds(to_browser: int, from_browser: int) -> None:
    """In the child: the DevTools pipe is fd 3 (commands in) and fd 4 (replies out), inherited;
    our own descriptors are not inheritable (PEP 446), so nothing else leaks into the browser."""
    high_in, high_out = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
    os.dup2(high_in, 3), os.dup2(high_out, 4)


def pdf_paths(html_files: Sequence[Path], out_dir: Path, base: Path | None = None) -> list[Path]:
    """Where each file's PDF goes: its path below `base` (default: the files' common folder),
    under `out_dir`."""
    files = [Path(f).resolve() for f in html_files]
    if base is not None:
        base = Path(base).resolve()
    elif files:
        base = Path(os.path.commonpath([f.parent for f in files]))
    else:
        base = Path()
    return [Path(out_dir) / f.relative_to(base).with_suffix(".pdf") for f in files]


def render_pdf(html_files: Sequence[Path], out_dir: Path, *, progress: Any = None,
               timeout: float = 60.0, executable: str | None = None,
               booklet_size: int = booklets.BOOKLET_SIZE, browsers: int | None = None,
               base: Path | None = None) -> list[Path]:
    """Print each self-contained HTML file to an A4 PDF under `out_dir`; return the PDF paths.

    The folder layout below `base` (default: the files' common folder) is kept
    (`scorecards/X.html` becomes `OUT/scorecards/X.pdf`). Files of one template in one folder
    are printed as booklets of up to `booklet_size` and cut into one PDF per file
    (`appraisal.rendering.booklets`); others,
    and booklets that cannot be cut, one by one. With several booklets, `browsers` Chromiums
    (default: one per CPU, at most two) print them side by side, one thread driving each.
    `progress`, if given, has `.advance()` called once per file (a `progress.progress_bar`).
    `timeout` applies to each file's load and print (a booklet has that much per file it holds).
    """
    if not (targets := pdf_paths(html_files, out_dir, base)):
        return []
    printed_as = {Path(f).resolve(): Path(t) for f, t in zip(html_files, targets, strict=True)}
    target_of = {Path(f): Path(t) for f, t in zip(html_files, targets, strict=True)}
    tree = Path(out_dir).resolve().parent  # the folder the PDFs are part of (render's OUT)
    groups = list(booklets.booklets(html_files, booklet_size)) if booklet_size > 1 else [Path(f) for f in html_files]
    lock = threading.Lock()

    def done(_target: Path) -> None:
        if progress is not None:
            with lock:
                progress.advance()

    def print_group(browser: Chromium, group: list[booklets.Page] | Path) -> None:
        if isinstance(group, list) and _print_booklet(browser, group, [target_of[p.source] for p in group],
                                                       printed_as, tree, timeout, done):
            return
        for source in [p.source for p in group] if isinstance(group, list) else [group]:
            target = target_of[source]
            pdf = _print(browser, Path(source).resolve().as_uri(), str(source), timeout)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(relative_links(pdf, target, printed_as, tree))
            done(target)

    count = min(browsers or min(os.cpu_count() or 1, 2), sum(isinstance(g, list) for g in groups) or 1)
    if count <= 1:
        with _printer(executable, timeout) as browser:
            for group in groups:
                print_group(browser, group)
    else:
        _side_by_side(groups, count, lambda: _printer(executable, timeout), print_group)
    return targets


# The area inside the shipped templates' page (`@page { size: A4; margin: 15mm }`) in CSS pixels.
A4_CONTENT = (681, 1009)


@contextlib.contextmanager
def _printer(executable: str | None, timeout: float) -> Iterator[Chromium]:
    """A Chromium that lays pages out as they will print: print media, at the width inside an A4
    page. A print lays the page out again at the paper's size; when the page already has that
    layout, Chromium keeps most of it (measured on a booklet of 200 scorecards: 45% less of the
    browser's CPU, the same PDF content). Only a hint: a page of another size prints the same,
    at the old cost."""
    with Chromium(executable, timeout=timeout) as browser:
        browser.call("Emulation.setEmulatedMedia", media="print")
        browser.call("Emulation.setDeviceMetricsOverride", width=A4_CONTENT[0], height=A4_CONTENT[1],
                     deviceScaleFactor=1, mobile=False)
        yield browser


def _side_by_side(groups: Sequence[Any], count: int, start: Any, print_group: Any) -> None:
    """`print_group(browser, group)` for every group, by `count` browsers, each driven by a
    thread of its own taking the next group. The first failure stops the others (their
    browsers are killed, so no thread waits out a page); so does Ctrl-C, within a second."""
    lock, queue = threading.Lock(), iter(groups)
    running: list[Chromium] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with start() as browser:
                with lock:
                    running.append(browser)
                while True:
                    with lock:
                        group = None if failures else next(queue, None)
                    if group is None:
                        return
                    print_group(browser, group)
        except BaseException as exc:  # handed to the main thread, which raises it
            with lock:
                failures.append(exc)
                stopping = list(running)
            for browser in stopping:
                browser.kill()

    threads = [threading.Thread(target=work, name=f"chromium-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # a short wait, so a signal is seen at once
    except BaseException:
        with lock:
            failures.append(AppraisalError("stopped"))
            stopping = list(running)
        for browser in stopping:
            browser.kill()
        for thread in threads:
            thread.join()
        raise
    if failures:
        raise failures[0]


def _print(browser: Chromium, url: str, name: str, timeout: float, **options: Any) -> bytes:
    """Load `url` and print it to A4; an `AppraisalError` naming `name` if that fails."""
    browser.events.clear()  # a long run keeps only the current page's events
    try:
        browser.open(url, timeout=timeout)
        printed = browser.call("Page.printToPDF", timeout=timeout, printBackground=True, preferCSSPageSize=True,
                               displayHeaderFooter=False, paperWidth=8.27, paperHeight=11.69, **options)
    except AppraisalError as exc:
        raise AppraisalError(f"{name}: cannot print to PDF: {exc}") from exc
    return base64.b64decode(printed["data"])


def _print_booklet(browser: Chromium, pages: Sequence[booklets.Page], targets: Sequence[Path],
                   printed_as: Mapping[Path, Path], tree: Path, timeout: float, done: Any) -> bool:
    """Print `pages` as one booklet and cut it into `targets`; False when it could not be cut
    (the caller prints them one by one)."""
    mark = booklets.new_mark()
    booklet = browser.scratch / f"{mark}.html"
    booklet.write_text(booklets.booklet_html(pages, mark), encoding="utf-8")
    try:
        name = f"{pages[0].source} (and {len(pages) - 1} more printed with it)"
        pdf = _print(browser, booklet.as_uri(), name, timeout * len(pages), generateTaggedPDF=False)
    finally:
        booklet.unlink()
    # Every file of a booklet lies in one folder, so its links are made relative once for all.
    return booklets.cut(relative_links(pdf, targets[0], printed_as, tree), mark, pages, targets, done)
