"""Print that never loses content (issue 16): the demo's summary, team report and scorecards on A4.

Each demo page, in English and in Chinese, is printed by headless Chromium (`render_pdf`, booklets
cut per person) and read back: a scorecard of the agent scheme's ten indicators has at most two
pages (pikepdf counts them); every word the page shows on screen (but its navigation links, which
print leaves out) is in the PDF's text (pdftotext); no page ends with a heading (the heading goes
to the next page with what it heads); and, laid out at the width of an A4 page's printable area,
no element's box crosses its edge.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from appraisal.rendering.pdf import Chromium, render_pdf
from outside import require_chromium, require_program

A4_CONTENT_WIDTH = round((210 - 2 * 15) / 25.4 * 96)  # CSS px between the 15 mm margins of `@page`
TOLERANCE = 1.5  # px: a glyph's side bearing may reach a pixel past its box's edge
INDICATORS = 10  # the agent scheme's


def render_demo(folder: Path, language: str) -> Path:
    """`appraisal demo` then `appraisal render` (summary, team report, scorecards) in `language`."""
    subprocess.run([sys.executable, "-m", "appraisal", "demo", "--out", str(folder / "demo"), "--lang", language],
                   check=True, capture_output=True, timeout=300)
    run = next((folder / "demo").glob("run-*"))
    subprocess.run([sys.executable, "-m", "appraisal", "render", str(run), "-o", str(folder / "report"),
                    "-f", "html", "--lang", language, "-q"], check=True, capture_output=True, timeout=300)
    return folder / "report"


@pytest.fixture(scope="module", params=["en", "zh"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    return render_demo(tmp_path_factory.mktemp(f"print-{request.param}"), request.param)


@pytest.fixture(scope="module")
def printed(report: Path) -> dict[Path, Path]:
    """Every page of the report -> its PDF."""
    pages = [report / "index.html", report / "team.html", *sorted((report / "scorecards").glob("*.html"))]
    return dict(zip(pages, render_pdf(pages, report.parent / "pdf"), strict=True))


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium(require_chromium()) as chromium:
        yield chromium


def evaluate(browser: Chromium, expression: str) -> object:
    reply = browser.call("Runtime.evaluate", expression=expression, returnByValue=True)
    assert "exceptionDetails" not in reply, reply["exceptionDetails"]
    return reply["result"]["value"]


def page_texts(pdf: Path, *options: str) -> list[str]:
    """The text of each page of `pdf` (pdftotext, page by page, with `options`)."""
    pdftotext = require_program("pdftotext")
    with pikepdf.open(pdf) as document:
        count = len(document.pages)
    return [subprocess.run([pdftotext, *options, "-f", str(n), "-l", str(n), str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout for n in range(1, count + 1)]


def test_a_scorecard_of_ten_indicators_prints_on_at_most_two_a4_pages(report: Path, printed: dict[Path, Path]) -> None:
    cards = {page: pdf for page, pdf in printed.items() if page.parent.name == "scorecards"}
    assert len(cards) == 50
    for page, pdf in cards.items():
        assert len(re.findall(r'<tr id="indicator-', page.read_text(encoding="utf-8"))) == INDICATORS
        with pikepdf.open(pdf) as document:
            assert 1 <= len(document.pages) <= 2, f"{pdf.name}: {len(document.pages)} pages"
            for sheet in document.pages:
                width, height = (float(v) for v in sheet.mediabox[2:])
                assert (round(width), round(height)) == (595, 842), f"{pdf.name}: not A4 portrait"


def test_the_summary_and_the_team_report_print_on_a_few_a4_pages(report: Path, printed: dict[Path, Path]) -> None:
    """Bounds that catch a table laid out a word per line (the team report took 3 pages before)."""
    for name, most in (("index.html", 3), ("team.html", 4)):
        with pikepdf.open(printed[report / name]) as document:
            assert len(document.pages) <= most, f"{name}: {len(document.pages)} pages"


SCREEN_WORDS = """(() => { for (const nav of document.querySelectorAll('nav')) nav.style.display = 'none';
  return document.body.innerText; })()"""


def test_every_word_on_screen_is_in_the_pdf(report: Path, printed: dict[Path, Path], browser: Chromium) -> None:
    browser.call("Emulation.setEmulatedMedia", media="screen")
    pages = [report / "index.html", report / "team.html", *sorted((report / "scorecards").glob("*.html"))[:5]]
    for page in pages:
        browser.open(page.resolve().as_uri())
        words = str(evaluate(browser, SCREEN_WORDS)).split()
        text = "".join("".join(page_texts(printed[page])).split())  # a word wrapped inside (a hash) still counts
        # pdftotext joins a word broken after its hyphen at a line's end and drops the hyphen
        # ("First-" "contact": "Firstcontact"); it may place a glyph of another font (一票否决's 决)
        # apart from its word: such a word counts when each of its characters is there.
        missing = [w for w in words if w not in text and w.replace("-", "") not in text
                   and (w.isascii() or set(w) - set(text))]
        assert words and not missing, f"{page.name}: {missing[:20]}"


HEADINGS = "[...document.querySelectorAll('h1, h2, h3')].map(h => h.innerText.trim())"


def test_no_page_ends_with_a_heading(report: Path, printed: dict[Path, Path], browser: Chromium) -> None:
    for page, pdf in printed.items():
        browser.open(page.resolve().as_uri())
        headings = {" ".join(str(h).split()) for h in evaluate(browser, HEADINGS)}  # type: ignore[union-attr]
        texts = page_texts(pdf, "-layout")  # lines as they lie on the page: the last one is at its foot
        for number, text in enumerate(texts[:-1], start=1):
            last = " ".join(next(line for line in reversed(text.splitlines()) if line.strip()).split())
            assert last not in headings, f"{pdf.name}: page {number} of {len(texts)} ends with the heading {last!r}"


BOXES_PAST_THE_EDGE = """(() => { const edge = document.documentElement.clientWidth, past = [];
  for (const e of document.querySelectorAll('body *')) { const box = e.getBoundingClientRect();
    if (box.width && (box.right > edge + %(tolerance)s || box.left < -%(tolerance)s))
      past.push(`${e.tagName.toLowerCase()}: ${Math.round(box.left)}..${Math.round(box.right)} px: `
                + (e.textContent || '').trim().slice(0, 40)); }
  return {edge, scroll: document.documentElement.scrollWidth, past: past.slice(0, 10)}; })()"""


def test_no_element_crosses_the_edge_of_the_printed_page(report: Path, printed: dict[Path, Path],
                                                          browser: Chromium) -> None:
    browser.call("Emulation.setEmulatedMedia", media="print")
    browser.call("Emulation.setDeviceMetricsOverride", width=A4_CONTENT_WIDTH, height=1000, deviceScaleFactor=1,
                 mobile=False)
    try:
        for page in printed:
            browser.open(page.resolve().as_uri())
            found = evaluate(browser, BOXES_PAST_THE_EDGE % {"tolerance": TOLERANCE})
            assert found == {"edge": A4_CONTENT_WIDTH, "scroll": A4_CONTENT_WIDTH, "past": []}, page.name
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")
        browser.call("Emulation.setEmulatedMedia", media="")
