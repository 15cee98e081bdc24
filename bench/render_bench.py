"""Rendering 10,000 scorecards: HTML under 30 seconds, the whole `render_result` call.

The result is synthesized, deterministically: the demo is appraised once (50 agents, the
shipped agent scheme and its five indicators), then 10,000 appraisees are made from those 50
with new ids, names and teams and scores, values and totals varied by a fixed rule. HTML and
Markdown are timed separately (each includes the summary page); exits 1 if HTML misses the
target.

    python bench/render_bench.py [--count 10000]     # from the repository root, with the venv's python
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

TARGET_SECONDS = 30.0  # for 10,000 HTML scorecards
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


def time_render(result, fmt: str, out: Path) -> tuple[float, int]:
    from appraisal.rendering.pages import render_result

    start = time.perf_counter()
    written = render_result(result, out, formats=(fmt,))
    return time.perf_counter() - start, len(written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="appraisees to render (default 10,000)")
    count = parser.parse_args().count
    target = TARGET_SECONDS * count / 10_000
    with tempfile.TemporaryDirectory(prefix="appraisal-render-bench-") as tmp:
        folder = Path(tmp)
        result = synthesize(demo_result(folder / "demo"), count)
        indicators = len(result.appraisees[0].cells)
        print(f"render bench: {count:,} appraisees x {indicators} indicators (scheme {result.scheme.get('id')})")
        seconds: dict[str, float] = {}
        for fmt in ("html", "md"):
            seconds[fmt], files = time_render(result, fmt, folder / f"out-{fmt}")
            size = sum(p.stat().st_size for p in (folder / f"out-{fmt}").rglob(f"*.{fmt}"))
            print(f"  {fmt:4}: {files:,} files in {seconds[fmt]:.2f} s = {files / seconds[fmt]:,.0f} files/s "
                  f"({size / files / 1024:.1f} KiB a file)")
    ok = seconds["html"] < target
    print(f"target: {count:,} HTML scorecards in under {target:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
