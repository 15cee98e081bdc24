"""The demo's HTML report, looked at in a real browser (headless Chromium over the DevTools pipe).

Every page loads with no console message of level error (script errors, uncaught exceptions,
Content-Security-Policy violations, failed loads); every scorecard's chart has exactly one bar
per indicator of the scheme, in the scheme's order. The screenshots in docs/screenshots/ are
written here, at 1200x1600.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appraisal.rendering.pdf import Chromium
from outside import require_chromium

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
SIZE = (1200, 1600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo folder, made by `appraisal demo` (English)."""
    folder = tmp_path_factory.mktemp("browser") / "demo"
    subprocess.run([sys.executable, "-m", "appraisal", "demo", "--out", str(folder)],
                   check=True, capture_output=True, timeout=300)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium(require_chromium(), timeout=60) as chromium:
        chromium.call("Emulation.setDeviceMetricsOverride", width=SIZE[0], height=SIZE[1],
                      deviceScaleFactor=1, mobile=False)
        yield chromium


def errors(events: list[dict[str, Any]]) -> list[str]:
    """The error-level console messages among DevTools events, as text."""
    found = []
    for event in events:
        method, params = event["method"], event["params"]
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append(details.get("exception", {}).get("description") or details["text"])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(params["entry"]["text"])
    return found


def look(browser: Chromium, page: Path) -> list[str]:
    """Open `page`; the console errors it caused (after a round trip, so late messages arrive)."""
    start = len(browser.events)
    browser.open(page.as_uri())
    browser.call("Runtime.evaluate", expression="document.readyState")
    return errors(browser.events[start:])


def evaluate(browser: Chromium, expression: str) -> Any:
    reply = browser.call("Runtime.evaluate", expression=expression, returnByValue=True)
    assert "exceptionDetails" not in reply, reply["exceptionDetails"]
    return reply["result"]["value"]


def screenshot(browser: Chromium, target: Path, demo: Path) -> None:
    """Save the page as a PNG, the temporary demo folder shown as `appraisal-demo` (the default
    `--out`), so the committed image changes only when the report does."""
    evaluate(browser, f"""(() => {{
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) walker.currentNode.nodeValue =
            walker.currentNode.nodeValue.split({json.dumps(str(demo))}).join("appraisal-demo");
        return true; }})()""")
    data = browser.call("Page.captureScreenshot", format="png")["data"]
    target.parent.mkdir(parents=True, exist_ok=True)
    png = base64.b64decode(data)
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == SIZE[0]
    if not target.exists() or target.read_bytes() != png:
        target.write_bytes(png)


def scheme_indicators(demo: Path) -> list[str]:
    from appraisal.pipeline import load_scheme

    return [indicator.id for indicator in load_scheme(demo / "agent.yaml").indicators]


def test_error_detection_works(browser: Chromium, tmp_path: Path) -> None:
    """The check below would see a script error and a blocked load (a control for `errors`)."""
    page = tmp_path / "broken.html"
    page.write_text("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
                    "<img src='https://example.invalid/x.png'><p>broken</p>", encoding="utf-8")
    assert any("Content Security Policy" in e for e in look(browser, page))
    page.write_text("<script>console.error('boom'); missing();</script>", encoding="utf-8")
    found = look(browser, page)
    assert "boom" in found and any("missing is not defined" in e for e in found)


def test_summary_has_no_console_errors(browser: Chromium, demo: Path) -> None:
    report = next(demo.glob("run-*/report"))
    assert look(browser, report / "index.html") == []
    links = evaluate(browser, "[...document.querySelectorAll('a[href^=\"scorecards/\"]')].length")
    assert links == len(list((report / "scorecards").glob("*.html")))
    screenshot(browser, SCREENSHOTS / "summary.png", demo)


def test_the_demos_team_report_has_no_console_errors(browser: Chromium, demo: Path) -> None:
    page = demo / "report" / "team.html"
    assert look(browser, page) == []
    bars = evaluate(browser, "[...document.querySelectorAll('svg.grades rect.bar')].map(r => r.dataset.grade)")
    assert bars == ["S", "A", "B", "C", "D"]
    evaluate(browser, "document.querySelector('svg.grades').previousElementSibling.scrollIntoView() || true")
    screenshot(browser, SCREENSHOTS / "team.png", demo)  # from the grade distribution on: the ranking is long


def test_each_scorecard_chart_has_one_bar_per_indicator(browser: Chromium, demo: Path) -> None:
    indicators = scheme_indicators(demo)
    cards = sorted(next(demo.glob("run-*/report")).glob("scorecards/*.html"))
    assert len(cards) >= 10
    for card in cards:
        assert look(browser, card) == [], card.name
        charts = evaluate(browser, "[...document.querySelectorAll('svg.chart')].map(svg => "
                                   "[...svg.querySelectorAll('rect.bar')].map(r => r.dataset.indicator))")
        assert charts == [indicators], card.name
        if card.name == "CS001.html":
            screenshot(browser, SCREENSHOTS / "scorecard.png", demo)
    assert (SCREENSHOTS / "scorecard.png").is_file()


def test_bars_are_drawn(browser: Chromium, demo: Path) -> None:
    """The bars have a size on screen: their width follows the score, none is hidden."""
    card = next(demo.glob("run-*/report/scorecards/CS001.html"))
    look(browser, card)
    boxes = evaluate(browser, "[...document.querySelectorAll('svg.chart rect.bar')].map(r => {"
                              "const b = r.getBoundingClientRect(); return [b.width, b.height, "
                              "getComputedStyle(r).visibility]})")
    assert boxes and all(height > 0 and visibility == "visible" for _w, height, visibility in boxes)
    assert any(width > 0 for width, _h, _v in boxes)


@pytest.mark.parametrize("width", [1280, 375])
def test_no_page_runs_off_the_screen_at_1280_px_or_on_a_phone(browser: Chromium, demo: Path, width: int) -> None:
    """The page itself never scrolls sideways: a wide table scrolls within the content."""
    browser.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1,
                 mobile=width < 600)
    try:
        report = demo / "report"
        for page in [report / "index.html", report / "team.html", report / "scorecards" / "CS001.html"]:
            assert look(browser, page) == [], page.name
            wide = evaluate(browser, "[document.documentElement.scrollWidth, window.innerWidth]")
            assert wide[0] <= wide[1], f"{page.name} at {width} px: {wide[0]} px wide"
    finally:
        browser.call("Emulation.setDeviceMetricsOverride", width=SIZE[0], height=SIZE[1], deviceScaleFactor=1,
                     mobile=False)


def test_charts_have_legends_and_scorecard_bars_mark_the_target(browser: Chromium, demo: Path) -> None:
    report = demo / "report"
    look(browser, report / "scorecards" / "CS001.html")
    marks = evaluate(browser, "[...document.querySelectorAll('svg.chart line.target')].length")
    bars = evaluate(browser, "[...document.querySelectorAll('svg.chart rect.bar')].length")
    assert marks == bars > 0
    assert evaluate(browser, "document.querySelector('p.legend').innerText").startswith("bar: the score")
    for page in ("index.html", "team.html"):
        look(browser, report / page)
        assert evaluate(browser, "document.querySelectorAll('svg.grades line.target').length") == 5, page
        assert "dashed line" in evaluate(browser, "document.querySelector('svg.grades + p.legend').innerText")
