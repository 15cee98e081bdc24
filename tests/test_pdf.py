"""PDF output (headless Chromium) checked with poppler-utils, and the progress bar it reports to.

The demo's report prints to A4 pages that are not blank (pdftoppm's grey PGM pages, counted
pixel by pixel); a Chinese scorecard embeds a CJK font and its text comes back out.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from appraisal.cli.progress import progress_bar
from appraisal.errors import AppraisalError
from appraisal.rendering.pdf import pdf_paths, render_pdf
from outside import require_chromium, require_program


def make_demo(folder: Path, language: str) -> Path:
    """`appraisal demo` into `folder`; its report folder."""
    subprocess.run([sys.executable, "-m", "appraisal", "demo", "--out", str(folder), "--lang", language],
                   check=True, capture_output=True, timeout=300)
    return next(folder.glob("run-*/report"))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("pdf") / "demo", "en")


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def advance(self, n: int = 1) -> None:
        self.count += n


def pages(pdf: Path, out: Path, last: int = 2) -> list[Path]:
    """The first pages of `pdf` as grey PGM images (pdftoppm, 40 dpi)."""
    pdftoppm = require_program("pdftoppm")
    subprocess.run([pdftoppm, "-gray", "-r", "40", "-f", "1", "-l", str(last), str(pdf), str(out)],
                   check=True, capture_output=True, timeout=60)
    return sorted(out.parent.glob(f"{out.name}-*.pgm"))


def inked(pgm: Path) -> float:
    """The share of a binary PGM (P5) image's pixels that are not white."""
    data = pgm.read_bytes()
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert match, pgm
    width, height, _maximum = map(int, match.groups())
    pixels = data[match.end():match.end() + width * height]
    assert len(pixels) == width * height
    return sum(1 for p in pixels if p < 250) / (width * height)


def font_names(pdf: bytes) -> set[str]:
    """Embedded fonts' names (`/FontName /ABCDEF+Name`), also inside compressed streams."""
    texts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        with contextlib.suppress(zlib.error):
            texts.append(zlib.decompress(stream.group(1)))
    return {m.decode() for t in texts for m in re.findall(rb"/FontName\s*/[A-Z]{6}\+([^\s/>\]]+)", t)}


def test_demo_report_prints_to_non_blank_a4_pages(report: Path, tmp_path: Path) -> None:
    require_chromium()
    files = [report / "index.html", *sorted((report / "scorecards").glob("*.html"))[:3]]
    progress = Counter()
    written = render_pdf(files, tmp_path / "pdf", progress=progress)
    assert written == [tmp_path / "pdf" / "index.pdf",
                       *(tmp_path / "pdf" / "scorecards" / f"{f.stem}.pdf" for f in files[1:])]
    assert progress.count == len(files)
    pdfinfo = require_program("pdfinfo")
    for pdf in written:
        assert pdf.read_bytes().startswith(b"%PDF-")
        info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True).stdout
        assert re.search(r"Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info), info
        images = pages(pdf, tmp_path / pdf.stem)
        assert images, pdf
        assert inked(images[0]) > 0.02, f"{pdf.name}: page 1 is blank"
        assert all(inked(page) > 0.001 for page in images), pdf.name


def test_a_page_of_its_own_size_prints_at_that_size_with_its_print_styles(tmp_path: Path) -> None:
    """Browsers are set up for A4 print before loading (a speed hint, appraisal.rendering.pdf);
    a page that asks for another paper and styles print apart from screen prints as it asks."""
    require_chromium()
    pdftotext, pdfinfo = require_program("pdftotext"), require_program("pdfinfo")
    (page := tmp_path / "a5.html").write_text(
        "<!DOCTYPE html><title>a5</title><style>@page { size: A5 landscape; margin: 10mm }"
        " @media screen { .paper { display: none } } @media print { .screen { display: none } }</style>"
        "<p class=screen>only on screen</p><p class=paper>only on paper</p>", encoding="utf-8")
    [pdf] = render_pdf([page], tmp_path / "pdf")
    info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+59[45](\.\d+)? x 4(19|20)(\.\d+)? pts \(A5\)", info), info
    text = subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "only on paper" in text and "only on screen" not in text


def test_a_blank_page_counts_as_blank(tmp_path: Path) -> None:
    """A control for `inked`: an empty page has no ink."""
    require_chromium()
    (page := tmp_path / "empty.html").write_text("<!DOCTYPE html><title>empty</title>", encoding="utf-8")
    [pdf] = render_pdf([page], tmp_path)
    assert inked(pages(pdf, tmp_path / "empty", last=1)[0]) == 0


def test_chinese_scorecard_embeds_a_cjk_font(tmp_path: Path) -> None:
    require_chromium()
    card = make_demo(tmp_path / "demo", "zh") / "scorecards" / "CS001.html"
    [pdf] = render_pdf([card], tmp_path / "pdf")
    fonts = subprocess.run([require_program("pdffonts"), str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", r) for r in rows), fonts
    assert all(r.split()[-5] == "yes" for r in rows), f"a font is not embedded:\n{fonts}"
    # Chromium embeds CFF (OpenType) fonts such as Noto Sans CJK as Type 3, which pdffonts lists
    # as "[none]"; their font descriptors still carry the name.
    assert any(name.startswith("NotoSansCJK") for name in font_names(pdf.read_bytes())), font_names(pdf.read_bytes())
    text = subprocess.run([require_program("pdftotext"), str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "考核指标" in text and "指标得分" in text


def test_each_file_has_a_time_limit(tmp_path: Path) -> None:
    require_chromium()
    (page := tmp_path / "busy.html").write_text("<script>for (;;) {}</script>", encoding="utf-8")
    with pytest.raises(AppraisalError,
                       match=r"busy.html: cannot print to PDF: Chromium did not finish file:.*busy.html in time"):
        render_pdf([page], tmp_path / "pdf", timeout=3)


def test_a_missing_browser_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(AppraisalError, match=r"no-such-chromium: no such program; .*apt-get install chromium"):
        render_pdf([tmp_path / "a.html"], tmp_path)
    monkeypatch.delenv("APPRAISAL_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AppraisalError, match=r"needs Chromium \(chromium\), which is not installed"):
        render_pdf([tmp_path / "a.html"], tmp_path)


def test_pdf_paths_keep_the_folder_layout(tmp_path: Path) -> None:
    files = [tmp_path / "r" / "index.html", tmp_path / "r" / "scorecards" / "A.html"]
    assert pdf_paths(files, tmp_path / "out") == [tmp_path / "out" / "index.pdf",
                                                  tmp_path / "out" / "scorecards" / "A.pdf"]
    assert pdf_paths([files[1]], tmp_path / "out") == [tmp_path / "out" / "A.pdf"]
    assert render_pdf([], tmp_path / "out") == []


# The progress bar ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_progress_prints_nothing() -> None:
    stream = Terminal()
    with progress_bar(10, "PDF", quiet=True, stream=stream) as bar:
        bar.advance(10)
    assert stream.getvalue() == ""


def test_progress_in_a_log_is_a_start_and_an_end_line() -> None:
    stream = io.StringIO()
    with progress_bar(1000, "HTML", stream=stream) as bar:
        for _ in range(1000):
            bar.advance()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert lines[0] == "HTML: 1000 to do"
    assert re.fullmatch(r"HTML: 1000 of 1000 done in \d+\.\d s", lines[1])


def test_progress_on_a_terminal_redraws_one_line() -> None:
    stream = Terminal()
    with progress_bar(4, "PDF", stream=stream) as bar:
        bar.advance()
        bar.advance(3)
    text = stream.getvalue()
    assert text.startswith("\rPDF [") and text.endswith("4/4 100%\n") and text.count("\n") == 1
    assert "[" + "#" * 30 + "]" in text


def test_progress_says_where_it_stopped() -> None:
    stream = io.StringIO()
    with pytest.raises(KeyError), progress_bar(5, "PDF", stream=stream) as bar:
        bar.advance(2)
        raise KeyError("x")
    assert stream.getvalue().splitlines()[-1].startswith("PDF: stopped after 2 of 5")


def test_progress_defaults_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(1, "JSON") as bar:
        bar.advance()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("JSON: 1 to do\n")


# Links -------------------------------------------------------------------------------------------


def uris(pdf: bytes) -> list[str]:
    """The targets of the PDF's link annotations, as written."""
    return [m.group(1).decode("latin-1") for m in re.finditer(rb"/URI \(((?:[^()\\]|\\.)*)\)", pdf)]


def test_links_between_printed_pages_are_relative_and_name_no_local_folder(tmp_path: Path) -> None:
    require_chromium()
    html = tmp_path / "printed-from"
    (html / "scorecards").mkdir(parents=True)
    (tmp_path / "elsewhere.html").write_text("<title>x</title>", encoding="utf-8")
    (html / "index.html").write_text(
        '<title>i</title><a href="scorecards/A%201.html">A</a> <a href="../elsewhere.html">away</a>'
        ' <a href="https://example.com/x">web</a>', encoding="utf-8")
    (html / "scorecards" / "A 1.html").write_text('<title>a</title><a href="../index.html#top">back</a>',
                                                  encoding="utf-8")
    index, card = render_pdf([html / "index.html", html / "scorecards" / "A 1.html"], tmp_path / "out" / "pdf")
    assert uris(index.read_bytes()) == ["scorecards/A%201.pdf", "", "https://example.com/x"]
    assert uris(card.read_bytes()) == ["../index.pdf#top"]
    for pdf in (index, card):
        assert b"file://" not in pdf.read_bytes() and str(tmp_path).encode() not in pdf.read_bytes()
        # The rewritten file is still a sound PDF: its cross-reference offsets hold.
        subprocess.run([require_program("pdfinfo"), str(pdf)], check=True, capture_output=True)
    text = subprocess.run([require_program("pdftotext"), str(card), "-"], check=True, capture_output=True, text=True)
    assert text.stdout.strip() == "back"


def test_rewritten_links_keep_every_byte_offset() -> None:
    from appraisal.rendering.pdf import relative_links

    before = (b"1 0 obj\n<</S /URI\n/URI (file:///tmp/run.partial-x/.html-for-pdf/scorecards/A.html)>>\nendobj\n"
              b"2 0 obj\n<</S /URI\n/URI (file:///somewhere/else/secret\\(1\\).html)>>\nendobj\n")
    printed_as = {
        Path("/tmp/run.partial-x/.html-for-pdf/scorecards/A.html"): Path("/tmp/run.partial-x/pdf/scorecards/A.pdf")}
    after = relative_links(before, Path("/tmp/run.partial-x/pdf/index.pdf"), printed_as, Path("/tmp/run.partial-x"))
    assert len(after) == len(before)
    assert after.index(b"2 0 obj") == before.index(b"2 0 obj")
    assert b"/URI (scorecards/A.pdf)  " in after and b"/URI ()  " in after
    assert b"file://" not in after


def test_a_long_temporary_folder_does_not_stop_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chromium's socket lives in the temporary folder and its path must fit in 108 bytes; with a
    longer TMPDIR (a deep CI folder) the browser is given /tmp instead of stopping at once."""
    import tempfile

    require_chromium()
    long = tmp_path / ("deep-" * 12)
    long.mkdir()
    monkeypatch.setenv("TMPDIR", str(long))  # what Chromium reads
    monkeypatch.setattr(tempfile, "tempdir", str(long))  # what this process had read from it
    (page := tmp_path / "p.html").write_text("<title>p</title><p>printed</p>", encoding="utf-8")
    [pdf] = render_pdf([page], tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert list(long.iterdir()) == []  # the profile is gone


def test_the_browsers_own_temporary_folder_is_inside_its_private_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """So a stop that kills the browser before it says where that folder is still removes it.
    (A short temporary folder, as a run's usually is: a socket's path must fit in 108 bytes.)"""
    import shutil
    import tempfile

    from appraisal.rendering.pdf import Chromium

    short = Path(tempfile.mkdtemp(prefix="chr-", dir="/tmp"))
    try:
        monkeypatch.setenv("TMPDIR", str(short))
        monkeypatch.setattr(tempfile, "tempdir", str(short))
        with Chromium(require_chromium()) as browser:
            assert [p.name.startswith("appraisal-chromium-") for p in short.iterdir()] == [True]
            assert any(p.name.startswith("org.chromium.Chromium.") for p in browser.scratch.iterdir())
        assert list(short.iterdir()) == []
    finally:
        shutil.rmtree(short, ignore_errors=True)


# Booklets: many files printed at once, cut per file ---------------------------------------------


def printed_words(html_files: list[Path]) -> dict[Path, list[str]]:
    """Each file's words as Chromium lays it out for print (the body's innerText under print media)."""
    from appraisal.rendering.pdf import Chromium

    words = {}
    with Chromium(require_chromium()) as browser:
        browser.call("Emulation.setEmulatedMedia", media="print")
        for page in html_files:
            browser.open(page.resolve().as_uri())
            text = browser.call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
            words[page] = text["result"]["value"].split()
    return words


def pdf_text(pdf: Path) -> str:
    pdftotext = require_program("pdftotext")
    return subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def pdf_info(pdf: Path) -> str:
    return subprocess.run([require_program("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True).stdout


def test_scorecards_printed_as_one_booklet_each_get_their_own_pages_with_every_word(
        report: Path, tmp_path: Path) -> None:
    cards = sorted((report / "scorecards").glob("*.html"))[:4]
    progress = Counter()
    together = render_pdf(cards, tmp_path / "together", booklet_size=4, progress=progress)
    alone = render_pdf(cards, tmp_path / "alone", booklet_size=1)
    assert [p.name for p in together] == [f"{c.stem}.pdf" for c in cards] and progress.count == len(cards)
    for card, pdf, single in zip(cards, together, alone, strict=True):
        info = pdf_info(pdf)
        assert re.search(r"Tagged:\s+no", info), "not printed in a booklet (a booklet is untagged)"
        pages_alone = re.search(r"Pages:\s+(\d+)", pdf_info(single))[1]
        assert re.search(r"Pages:\s+(\d+)", info)[1] == pages_alone, card.name
        text = "".join(pdf_text(pdf).split())  # a word wrapped inside (a hash) still counts
        assert sorted(text) == sorted("".join(pdf_text(single).split())), f"{card.name}: not the text printed alone"
        # pdftotext may place a glyph of another font (一票否决's 决) apart from its word: such a
        # word counts when each of its characters is there.
        words = printed_words([card])[card]
        missing = [w for w in words if w not in text and (w.isascii() or set(w) - set(text))]
        assert not missing, f"{card.name}: {missing}"
        others = [c.stem for c in sorted((report / "scorecards").glob("*.html")) if c.stem != card.stem]
        assert not [o for o in others if o in text], f"{pdf.name} holds another appraisee's page"
        name = re.search(r"<title>(.*?)</title>", card.read_text(encoding="utf-8"))[1]
        assert re.search(r"Title:\s+(.*)", info)[1].strip() == html.unescape(name)


def test_a_file_with_an_empty_body_gets_its_blank_page_in_a_booklet(tmp_path: Path) -> None:
    require_chromium()
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{}</title></head><body>{}</body></html>'
    (a := tmp_path / "a.html").write_text(head.format("a", "<p>first page</p>"), encoding="utf-8")
    (b := tmp_path / "b.html").write_text(head.format("b", ""), encoding="utf-8")
    (c := tmp_path / "c.html").write_text(head.format("c", "<p>third page</p>"), encoding="utf-8")
    pdfs = render_pdf([a, b, c], tmp_path / "pdf")
    assert [pdf_text(p).split() for p in pdfs] == [["first", "page"], [], ["third", "page"]]
    shown = [re.findall(r"(Tagged|Pages):\s+(\w+)", pdf_info(p)) for p in pdfs]
    assert shown == [[("Tagged", "no"), ("Pages", "1")]] * 3


def test_a_booklet_whose_markers_are_not_found_is_not_cut(tmp_path: Path) -> None:
    """What `render_pdf` falls back from (printing each file alone): nothing is written."""
    from appraisal.rendering.booklets import cut, read_page

    require_chromium()
    page = '<html><head><title>{0}</title></head><body><p>{0}</p></body></html>'
    for name in "ab":
        (tmp_path / f"{name}.html").write_text(page.format(name), encoding="utf-8")
    [printed] = render_pdf([tmp_path / "a.html"], tmp_path / "printed")  # a PDF without any marker
    pages = [read_page(tmp_path / "a.html"), read_page(tmp_path / "b.html")]
    targets = [tmp_path / "out" / "a.pdf", tmp_path / "out" / "b.pdf"]
    assert cut(printed.read_bytes(), "appraisal-booklet-000000000000", pages, targets) is False
    assert not (tmp_path / "out").exists()


def test_files_share_a_booklet_only_with_their_own_kind(tmp_path: Path) -> None:
    from appraisal.rendering.booklets import booklets

    page = '<html><head><style>{}</style><title>{}</title></head><body><p>{}</p>{}</body></html>'
    (tmp_path / "sub").mkdir()
    files = {
        "a": page.format("p{}", "a", "a", ""), "b": page.format("p{}", "b", "b", ""),
        "c": page.format("p{}", "c", "c", ""), "styled": page.format("p{color:red}", "s", "s", ""),
        "script": page.format("p{}", "x", "x", "<script>1</script>"),
        "sub/d": page.format("p{}", "d", "d", ""), "no-body": "<title>n</title><p>n</p>",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.html").write_text(text, encoding="utf-8")
    groups = list(booklets([tmp_path / f"{n}.html" for n in files], size=2))
    shown = [[p.source.stem for p in g] if isinstance(g, list) else g.stem for g in groups]
    assert shown == [["a", "b"], "script", "no-body", "c", "styled", "d"]


def test_two_browsers_print_booklets_side_by_side(report: Path, tmp_path: Path) -> None:
    require_chromium()
    cards = sorted((report / "scorecards").glob("*.html"))[:6]
    progress = Counter()
    pdfs = render_pdf(cards, tmp_path / "pdf", booklet_size=2, browsers=2, progress=progress)
    assert progress.count == 6
    for card, pdf in zip(cards, pdfs, strict=True):
        text = pdf_text(pdf)
        assert [c.stem for c in cards if c.stem in text] == [card.stem], pdf.name


def test_a_failure_in_one_browser_stops_the_others_with_its_message(report: Path, tmp_path: Path) -> None:
    require_chromium()
    (busy := tmp_path / "busy.html").write_text("<script>for (;;) {}</script>", encoding="utf-8")
    cards = sorted((report / "scorecards").glob("*.html"))[:4]
    stopped = r"busy.html: cannot print to PDF: Chromium did not finish file:.*busy.html in time"
    with pytest.raises(AppraisalError, match=stopped):
        render_pdf([busy, *cards], tmp_path / "pdf", booklet_size=2, browsers=2, timeout=3)
