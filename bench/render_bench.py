"""Rendering at scale: 10,000 HTML scorecards under 15 s, 10,000 PDF scorecards under 5 minutes.

The result is synthesized, deterministically: the demo is appraised once (50 agents, the
shipped agent scheme and its ten indicators), then `--count` appraisees are made from those 50
with new ids, names and teams and scores, values and totals varied by a fixed rule.

HTML and Markdown: the whole `render_result` call (the summary page included), in wall seconds,
CPU seconds and files a second, and beside it a baseline measured in the same run: the same
scorecard template rendered by plain Jinja (no sandbox, the same filters) from contexts built
beforehand, each page written with `Path.write_text`, in one process. `render_result` writes the
scorecards with one worker process per CPU (`appraisal.rendering.workers`; its CPU seconds count
the workers'), so the CPU ratio is what our own work costs on top of plain Jinja (`Result.as_dict`,
the per-page context, the sandbox, atomic writes, the workers) and the wall ratio what the
workers win back; both stay meaningful on a loaded machine, where both sides slow down alike,
while an absolute number alone would mostly measure the machine. `Result.as_dict` (the result's
API, not rendering's) is timed apart too.

PDF (`--pdf`): `render_pdf` over the HTML scorecards (booklets printed by one Chromium, cut per
person), wall seconds, this process's CPU and the browser's (its processes' CPU, read from /proc
before it closes); the baseline is the first 20 scorecards printed one at a time, as before
booklets. Exits 1 if a target is missed (targets scale with --count).

    python bench/render_bench.py [--count 10000] [--pdf]     # from the repository root, with the venv's python
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

HTML_TARGET = 15.0  # seconds for 10,000 HTML scorecards (and the summary)
PDF_TARGET = 300.0  # seconds for 10,000 PDF scorecards
PDF_ALONE = 20  # scorecards printed one at a time, for the PDF baseline
ROOT = Path(__file__).resolve().parent.parent


def demo_result(folder: Path):
    """The demo's real result: 50 appraisees of the shipped agent scheme for 2026-Q3."""
    from appraisal.demo.agent import generate
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, run
    from appraisal.plugins import extensions
    from appraisal.scheme.packs import resolve_scheme_path

    source = resolve_scheme_path("agent", extensions().packs)
    folder.mkdir(parents=True, exist_ok=True)
    (scheme_file := folder / source.name).write_bytes(source.read_bytes())
    generate(folder / "data" / "agent", role="agent", seed=2026, period="2026-Q3")
    return run(load_scheme(scheme_file), parse_period("2026-Q3"))


def _scaled(x: float | None, factor: float) -> float | None:
    return None if x is None else round(x * factor, 4)


def synthesize(result, count: int):
    """`count` appraisees made from the result's own, each varied by its number (deterministic)."""
    grades = sorted(result.grades, key=lambda g: -g["min"]) if all("min" in g for g in result.grades) else []
    base = [a for a in result.appraisees if a.total is not None] or list(result.appraisees)
    made = []
    for i in range(count):
        model = base[i % len(base)]
        factor = 0.8 + (i * 37 % 41) / 100  # 0.80 .. 1.20
        cells = tuple(replace(c, value=_scaled(c.value, factor), score=_scaled(c.score, factor),
                              contribution=_scaled(c.contribution, factor)) for c in model.cells)
        total = _scaled(model.total, factor)
        grade = next((g["grade"] for g in grades if total is not None and total >= g["min"]), model.grade)
        made.append(replace(model, id=f"A{i:05d}", name=f"{model.name or 'Agent'} {i}", team=f"Team {i % 40:02d}",
                            cells=cells, total=total, weighted_total=_scaled(model.weighted_total, factor),
                            grade=grade if grades else model.grade))
    return replace(result, appraisees=tuple(made))


def _cpu(children: bool) -> float:
    """CPU seconds of this process, and with `children` of its ended children (the render's workers)."""
    if not children:
        return time.process_time()
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


class Clock:
    """Wall and CPU seconds of this process (and with `children=True` of the worker processes it
    started and ended) over a `with` block."""

    def __init__(self, children: bool = False) -> None:
        self.children = children

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), _cpu(self.children)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu(self.children) - self.cpu


class BrowserCpu:
    """CPU seconds of the browsers this process starts (each leads a session of its own, see
    `appraisal.rendering.pdf`), sampled from /proc twice a second while the block runs: the
    renderer and helper processes are not our children, so `getrusage` does not see them."""

    def __enter__(self) -> BrowserCpu:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.5):
            stats: dict[int, tuple[int, int, float]] = {}
            for name in filter(str.isdigit, os.listdir("/proc")):
                try:
                    fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                stats[int(name)] = (int(fields[1]), int(fields[3]), (int(fields[11]) + int(fields[12])) / tick)
            browsers = {pid for pid, (parent, session, _) in stats.items() if parent == os.getpid() and session == pid}
            for pid, (_, session, cpu) in stats.items():
                if session in browsers:
                    self.seen[pid] = max(self.seen.get(pid, 0.0), cpu)


def time_render(result, fmt: str, out: Path) -> tuple[Clock, int]:
    from appraisal.rendering.pages import render_result

    with Clock(children=True) as clock:
        written = render_result(result, out, formats=(fmt,))
    return clock, len(written)


def time_plain_jinja(result, fmt: str, out: Path) -> Clock:
    """The baseline: the shipped summary and scorecard templates rendered by plain Jinja (no
    sandbox; the same filters) from contexts built beforehand, each page written with write_text."""
    import jinja2

    from appraisal.rendering import pages
    from appraisal.shipped import templates_dir

    ours = pages.environment()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir()), autoescape=fmt == "html",
                             undefined=jinja2.StrictUndefined, finalize=ours.finalize if fmt == "md" else None,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(ours.filters)
    data = result.as_dict()
    names = pages.scorecard_names(a["id"] for a in data["appraisees"])
    summary = pages.summary_context(data, names, "en", fmt)
    cards = [(out / "scorecards" / f"{names[a['id']]}.{fmt}", pages.scorecard_context(data, a, "en", fmt))
             for a in data["appraisees"]]
    (out / "scorecards").mkdir(parents=True)
    summary_template, card_template = env.get_template(f"summary.{fmt}.j2"), env.get_template(f"scorecard.{fmt}.j2")
    with Clock() as clock:
        (out / f"index.{fmt}").write_text(summary_template.render(summary), encoding="utf-8")
        for path, context in cards:
            path.write_text(card_template.render(context), encoding="utf-8")
    return clock


def time_pdf(html_dir: Path, out: Path, booklet_size: int | None = None) -> tuple[Clock, BrowserCpu, int]:
    from appraisal.rendering.pdf import render_pdf

    files = sorted((html_dir / "scorecards").glob("*.html"))
    if booklet_size == 1:
        files = files[:PDF_ALONE]
    with BrowserCpu() as browser, Clock() as clock:
        written = render_pdf(files, out, booklet_size=booklet_size) if booklet_size else render_pdf(files, out)
    return clock, browser, len(written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="appraisees to render (default 10,000)")
    parser.add_argument("--pdf", action="store_true", help="also print the scorecards to PDF (needs Chromium)")
    args = parser.parse_args()
    count, scale = args.count, args.count / 10_000
    ok = True
    from appraisal.rendering.workers import worker_count

    with tempfile.TemporaryDirectory(prefix="appraisal-render-bench-") as tmp:
        folder = Path(tmp)
        result = synthesize(demo_result(folder / "demo"), count)
        indicators = len(result.appraisees[0].cells)
        print(f"render bench: {count:,} appraisees x {indicators} indicators (scheme {result.scheme.get('id')}), "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; scorecards written by "
              f"{worker_count(count)} process(es) (appraisal.rendering.workers), the plain Jinja baseline by one")
        with Clock() as as_dict:
            result.as_dict()
        print(f"  Result.as_dict alone: {as_dict.wall:.2f} s, {as_dict.cpu:.2f} s CPU (inside each render call below)")
        for fmt in ("html", "md"):
            clock, files = time_render(result, fmt, folder / f"out-{fmt}")
            base = time_plain_jinja(result, fmt, folder / f"plain-{fmt}")
            size = sum(p.stat().st_size for p in (folder / f"out-{fmt}").rglob(f"*.{fmt}"))
            print(f"  {fmt:4}: {files:,} files in {clock.wall:.2f} s, {clock.cpu:.2f} s CPU = "
                  f"{files / clock.wall:,.0f} files/s ({size / files / 1024:.1f} KiB a file); "
                  f"plain Jinja {base.wall:.2f} s, {base.cpu:.2f} s CPU: "
                  f"{clock.wall / base.wall:.2f}x wall, {clock.cpu / base.cpu:.2f}x CPU")
            if fmt == "html":
                met = clock.wall < HTML_TARGET * scale
                ok &= met
                verdict = "met" if met else "MISSED"
                print(f"  target: {count:,} HTML scorecards in under {HTML_TARGET * scale:.1f} s: {verdict}")
        if args.pdf:
            clock, browser, files = time_pdf(folder / "out-html", folder / "pdf")
            alone, alone_browser, single = time_pdf(folder / "out-html", folder / "pdf-alone", booklet_size=1)
            size = sum(p.stat().st_size for p in (folder / "pdf").rglob("*.pdf"))
            print(f"  pdf : {files:,} files in {clock.wall:.2f} s = {files / clock.wall:,.1f} files/s, "
                  f"{clock.cpu:.2f} s CPU here and {browser.seconds:.2f} s in Chromium "
                  f"({size / files / 1024:.0f} KiB a file); "
                  f"one at a time: {alone.wall / single:.3f} s a file "
                  f"({alone_browser.seconds / single:.3f} s Chromium CPU), "
                  f"{(alone.wall / single) / (clock.wall / files):.1f}x slower")
            met = clock.wall < PDF_TARGET * scale
            ok &= met
            verdict = "met" if met else "MISSED"
            print(f"  target: {count:,} PDF scorecards in under {PDF_TARGET * scale:.0f} s: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
