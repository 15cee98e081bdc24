"""Many pages printed in one go: HTML files of one template joined into a booklet, the booklet
printed once by Chromium, and the PDF cut into one file per page printed.

Why: each print is a print job of its own in Chromium (a layout at the paper's size, a PDF
document written and sent over the pipe): about half a second of CPU for a scorecard printed
alone, so 10,000 scorecards took hours. In a booklet of a hundred the job's cost is paid once,
and what is left is the cost of the pages themselves.

Whose pages are whose is recorded while printing, not guessed: each file's body is preceded by an
empty marker that starts a new page and has an id that a hidden link names, and Chromium writes
a named destination (the catalog's /Dests) for every linked id, naming the page its element is
on. A file's pages run from its marker's page up to the next file's. The cutting is done by
pikepdf (qpdf): each person's PDF is a new document holding copies of their pages and of what
those pages use (fonts, images), nothing of anyone else's pages.

Files share a booklet when they lie in one folder (so their relative links mean the same),
their `<head>` (but its `<title>`) and `<body>` tags are the same, and they carry no script (a
script could see its neighbours) and no `<base>`; any other file is printed alone, as before.
A booklet is printed untagged: a document's structure tree spans all its pages and cannot be cut
with them. Each PDF keeps its own file's title as its document title.
"""

from __future__ import annotations

import contextlib
import html
import io
import itertools
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf  # this module is imported for PDF output only (through appraisal.rendering.pdf)

# Files per booklet: the job's cost spread thin, the PDF a few MB on the pipe. Measured per scorecard
# (Chromium's CPU, 2026-12-04): 120 ms in booklets of 20, 87 of 100, 77 of 200, 83 of 400 (noisy).
BOOKLET_SIZE = 200

_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HEAD_OPEN = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_UNSHARED = re.compile(r"<(script|base|frame|iframe|object|embed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """One HTML file, in the parts a booklet is made of."""

    source: Path
    head: str  # everything before the body (its <title> taken out) and the <body> tag
    body: str  # what the body holds
    tail: str  # </body> and what follows
    title: str  # the <title>'s text, for the PDF's document title

    @property
    def kind(self) -> tuple[Path, str, str]:
        """Files of one kind can share a booklet."""
        return self.source.parent, self.head, self.tail


def read_page(source: Path) -> Page | None:
    """The file as a booklet page, or None when it must be printed alone."""
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # printed alone, where Chromium says what is wrong with it
    opens, closes = list(_BODY_OPEN.finditer(text)), list(_BODY_CLOSE.finditer(text))
    if len(opens) != 1 or len(closes) != 1 or closes[0].start() < opens[0].end() or _UNSHARED.search(text):
        return None
    head = text[:opens[0].start()]
    if len(_HEAD_OPEN.findall(head)) != 1:
        return None
    title = _TITLE.search(head)
    return Page(source=Path(source), head=_TITLE.sub("", head, count=1) + opens[0].group(0),
                body=text[opens[0].end():closes[0].start()], tail=text[closes[0].start():],
                title=html.unescape(title.group(1)).strip() if title else "")


def booklets(html_files: Sequence[Path], size: int = BOOKLET_SIZE) -> Iterator[list[Page] | Path]:
    """The files as booklets of up to `size` pages of one kind (in the order given, within a
    kind), and files to print alone."""
    kinds: dict[tuple[Path, str, str], list[Page]] = {}
    for source in html_files:
        page = read_page(source)
        if page is None:
            yield source
            continue
        kinds.setdefault(page.kind, []).append(page)
        if len(kinds[page.kind]) == size:
            yield kinds.pop(page.kind)
    for pages in kinds.values():
        if len(pages) == 1:
            yield pages[0].source
        else:
            yield pages


def booklet_html(pages: Sequence[Page], mark: str) -> str:
    """One document holding every page's body, each after a marker `{mark}-{i}` that starts a page.
    Its `<base>` is the files' folder, so it can be printed from anywhere and its links still
    lead where the files' own do."""
    base = f'<base href="{html.escape(pages[0].source.resolve().parent.as_uri() + "/")}">'
    head = _HEAD_OPEN.sub(lambda m: m.group(0) + base, pages[0].head, count=1)
    parts = [head]
    for i, page in enumerate(pages):
        parts.append(f'<div id="{mark}-{i}" style="break-before:page;height:0;margin:0;padding:0;border:0"></div>')
        parts.append(page.body)
    parts.extend(f'<a href="#{mark}-{i}" hidden></a>' for i in range(len(pages)))
    parts.append(pages[0].tail)
    return "".join(parts)


def new_mark() -> str:
    """A marker id no template would use."""
    return f"appraisal-booklet-{secrets.token_hex(6)}"


def page_ranges(pdf: Any, mark: str, count: int) -> list[range] | None:
    """Each file's pages in the printed booklet (a `pikepdf.Pdf`), from the markers' named
    destinations; None when a marker is missing or two share a page (an empty file)."""
    dests = pdf.Root.get("/Dests")
    if dests is None:
        return None
    number = {page.objgen: i for i, page in enumerate(pdf.pages)}
    starts = []
    for i in range(count):
        dest = dests.get(f"/{mark}-{i}")
        if dest is None or len(dest) == 0 or dest[0].objgen not in number:
            return None
        starts.append(number[dest[0].objgen])
    if starts[0] != 0 or any(later <= earlier for earlier, later in itertools.pairwise(starts)):
        return None
    return [range(a, b) for a, b in itertools.pairwise([*starts, len(pdf.pages)])]


def cut(pdf_bytes: bytes, mark: str, pages: Sequence[Page], targets: Sequence[Path],
        written: Callable[[Path], None] | None = None) -> bool:
    """Write each page's part of the printed booklet to its target; False (nothing written) when
    the booklet cannot be cut by its markers."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as book:
        if (ranges := page_ranges(book, mark, len(pages))) is None:
            return False
        info = {key: value for key, value in book.docinfo.items() if key != "/Title"}
        preferences = dict(book.Root.get("/ViewerPreferences", {}))  # DisplayDocTitle: the title, not the file name
        for page, target, numbers in zip(pages, targets, ranges, strict=True):
            with pikepdf.new() as one:
                one.pages.extend(book.pages[numbers.start:numbers.stop])
                for key, value in info.items():
                    one.docinfo[key] = value
                one.docinfo["/Title"] = page.title
                if preferences:
                    one.Root.ViewerPreferences = pikepdf.Dictionary(preferences)
                target.parent.mkdir(parents=True, exist_ok=True)
                one.save(target)
            if written is not None:
                written(target)
    return True


def joined(pages: Sequence[Path], target: Path) -> Path:
    """The PDFs `pages`, one after another, as one PDF at `target` (a manager's booklet)."""
    with contextlib.ExitStack() as stack, pikepdf.new() as out:
        for page in pages:  # each source stays open until the booklet is saved: its pages are copied then
            out.pages.extend(stack.enter_context(pikepdf.open(page)).pages)
        out.save(target)
    return target
