"""Bad data never silently decides a grade: data-quality levels (appraisal.measuring.quality).

Each test writes the scheme and the data it needs into its own folder: a sales scheme over one
quarter, five agents, and a sales file whose defects the test chooses.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appraisal.engines.duckdb_engine import QualityCount, open_engine
from appraisal.measuring.quality import QualityBreach, assess, shown
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.plugins import extensions
from appraisal.results.storing import load_run
from appraisal.scheme.quality_levels import LIMIT_PATTERN, parse_limit
from appraisal.scheme.validation import scheme_schema

Q3 = parse_period("2026-Q3")
AGENTS = ["a1", "a2", "a3", "a4", "a5"]

SCHEME = """\
scheme: sales-story
version: 1
title: Sales
period: quarter
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  sales:
    source: csv
    path: sales.csv
    key: sale_id
    appraisee: agent_id
    period_by: sold_at
    columns: {sale_id: text, agent_id: text, sold_at: date, amount: integer, channel: text, note_count: integer}
indicators:
  - id: revenue
    title: Revenue
    measure: {dataset: sales, agg: sum, of: amount}
    target: 1000
    score: {curve: linear, worst: 0, best: 2000}
    weight: 60
  - id: sales
    title: Sales
    measure: {dataset: sales, agg: count}
    target: 100
    score: {curve: linear, worst: 0, best: 200}
    weight: 40
  - id: revenue_per_sale
    title: Revenue per sale
    formula: "revenue / sales"
    weight: 0
grades: {A: 90, B: 70, C: 0}
"""


def write_story(folder: Path, amounts: list[str], *, extra: str = "", agents: list[str] | None = None,
                notes: list[str] | None = None, scheme: str = SCHEME) -> Path:
    """The sales scheme (with `extra` appended) and its data: one sale per amount, in 2026-Q3,
    spread over the agents in turn (or `agents`, one per sale)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text("agent_id\n" + "".join(f"{a}\n" for a in AGENTS), encoding="utf-8")
    with (folder / "sales.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sale_id", "agent_id", "sold_at", "amount", "channel", "note_count"])
        for i, amount in enumerate(amounts):
            agent = agents[i] if agents else AGENTS[i % len(AGENTS)]
            note = notes[i] if notes else "1"
            writer.writerow([f"s{i:04d}", agent, f"2026-0{7 + i % 3}-{1 + i % 28:02d}", amount, "web", note])
    path = folder / "scheme.yaml"
    path.write_text(scheme + extra, encoding="utf-8")
    return path


def decimals_story(folder: Path, extra: str = "") -> Path:
    """The story of the issue: `amount: integer` over a column of decimals, 594 of 600 rows."""
    return write_story(folder, [f"{100 + i}.50" for i in range(594)] + ["200"] * 6, extra=extra)


def some_bad(folder: Path, bad: int, total: int = 100, extra: str = "") -> Path:
    """`bad` of `total` amounts that do not read as integers (`n/a`), the others whole numbers."""
    return write_story(folder, ["n/a"] * bad + ["20"] * (total - bad), extra=extra)


def result_json(folder: Path) -> dict:
    return json.loads((folder / "result.json").read_text(encoding="utf-8"))


# -- the story of the issue ---------------------------------------------------------------------

STORY_ERROR = """\
data quality: the run is stopped and nothing was stored:
  sales: 594 of 600 rows (99.0%) unparseable integer in column 'amount': error, above 5%; \
e.g. '100.50', '101.50', '102.50'
correct the data or the column's declared type, or set other levels in the scheme's 'quality:' block \
(see docs/scheme-reference.md, "quality")
"""


def test_an_integer_column_of_decimals_stops_the_run_with_the_exact_message(run_cli, tmp_path):
    scheme = decimals_story(tmp_path / "story")
    out = tmp_path / "runs" / "q3"
    out.parent.mkdir()
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(out), "--no-report")
    assert (result.exit_code, result.stderr) == (1, STORY_ERROR)


def test_a_breach_stores_nothing(run_cli, tmp_path):
    scheme = decimals_story(tmp_path / "story")
    runs = tmp_path / "runs"
    runs.mkdir()
    run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(runs / "q3"))
    assert list(runs.iterdir()) == []  # no run folder, no partial folder


def test_a_breach_still_prints_every_count(run_cli, tmp_path):
    scheme = decimals_story(tmp_path / "story")
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"))
    assert result.stdout == (
        "data quality:\n"
        "  sales: 594 of 600 rows (99.0%) unparseable integer in column 'amount': error, above 5%;"
        " e.g. '100.50', '101.50', '102.50'\n"
    )


def test_the_python_api_raises_the_breach_before_appraising(tmp_path):
    scheme = load_scheme(decimals_story(tmp_path / "story"))
    with pytest.raises(QualityBreach) as caught:
        run(scheme, Q3)
    [breach] = caught.value.assessment.breaches
    assert (breach.count.dataset, breach.count.column, breach.count.cause, breach.count.count, breach.count.rows) == (
        "sales", "amount", "unparseable integer", 594, 600,
    )


def test_measure_fails_on_a_breach_and_writes_no_file(run_cli, tmp_path):
    scheme = decimals_story(tmp_path / "story")
    values = tmp_path / "values.csv"
    result = run_cli("measure", str(scheme), "-p", "2026-Q3", "--csv", str(values))
    assert result.exit_code == 1 and result.stderr.endswith(STORY_ERROR)
    assert not values.exists()


# -- warnings -----------------------------------------------------------------------------------

def test_a_warning_run_is_stored_and_says_so(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=3)
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report")
    assert result.exit_code == 0, result.stderr
    assert (
        "  sales: 3 of 100 rows (3.0%) unparseable integer in column 'amount': warning, above 1%; e.g. 'n/a'\n"
    ) in result.stdout
    [row] = [q for q in result_json(tmp_path / "q3")["quality"] if q["cause"] == "unparseable integer"]
    assert {k: row[k] for k in ("count", "rows", "share", "level", "limit", "examples")} == {
        "count": 3, "rows": 100, "share": 0.03, "level": "warning", "limit": "> 1%", "examples": ["'n/a'"],
    }


def test_a_cell_computed_from_a_warned_column_carries_the_flag(tmp_path):
    result = run(load_scheme(some_bad(tmp_path / "data", bad=3)), Q3)
    flag = "data warning: 3.0% unparseable integer in sales.amount"
    assert result.appraisee("a1").cell("revenue").flags == (flag,)
    assert result.appraisee("a1").cell("sales").flags == ()  # a count reads no amount
    assert result.appraisee("a1").cell("revenue_per_sale").flags == (flag,)  # a formula over revenue


def test_the_flag_is_kept_in_the_stored_json(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=3)
    run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report")
    revenue = load_run(tmp_path / "q3").appraisee("a1").cell("revenue")
    assert revenue.flags == ("data warning: 3.0% unparseable integer in sales.amount",)


def test_the_scorecards_mark_a_warned_cell_beside_its_status(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=3)
    assert run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3")).exit_code == 0
    report = tmp_path / "q3" / "report" / "scorecards"
    html = (report / "a1.html").read_text(encoding="utf-8")
    [revenue_row] = re.findall(r'<tr id="indicator-revenue">.*?</tr>', html, flags=re.S)
    assert '<span class="quality-flag" title="data warning: 3.0% unparseable integer in sales.amount">' in revenue_row
    [sales_row] = re.findall(r'<tr id="indicator-sales">.*?</tr>', html, flags=re.S)
    assert "quality-flag" not in sales_row
    markdown = (report / "a1.md").read_text(encoding="utf-8")
    assert re.search(r"^\| Revenue \|.*\| ok ⚠ data warning \|$", markdown, flags=re.M)


def test_the_chinese_scorecard_says_the_warning_in_chinese(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=3)
    assert run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--lang", "zh").exit_code == 0
    markdown = (tmp_path / "q3" / "report" / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "数据警告：sales.amount 中 3.0% 的行无法识别的整数" in markdown


def test_the_summary_table_shows_share_verdict_level_and_examples(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=3)
    assert run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3")).exit_code == 0
    html = (tmp_path / "q3" / "report" / "index.html").read_text(encoding="utf-8")
    assert ("<tr><td>sales</td><td>unparseable integer</td><td>amount</td><td>3</td><td>100</td><td>3.0%</td>"
            "<td>warning</td><td>&gt; 1%</td><td>&#39;n/a&#39;</td></tr>") in html


def test_strict_turns_a_warning_into_a_breach(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=3)
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--strict")
    assert result.exit_code == 1
    assert (
        "  sales: 3 of 100 rows (3.0%) unparseable integer in column 'amount': warning, above 1%"
        " (an error under --strict); e.g. 'n/a'\n"
    ) in result.stderr
    assert not (tmp_path / "q3").exists()


def test_below_the_warning_level_nothing_is_flagged(tmp_path):
    result = run(load_scheme(some_bad(tmp_path / "data", bad=1)), Q3)
    [row] = [q for q in result.quality if q["cause"] == "unparseable integer"]
    assert (row["level"], row["limit"]) == ("ok", None)
    assert all(not c.flags for a in result.appraisees for c in a.cells)


# -- overrides at each level --------------------------------------------------------------------

def verdict(scheme: Path, cause: str = "unparseable integer") -> str:
    """The verdict of the run's count of `cause`, or `breach` when it stopped the run."""
    try:
        result = run(load_scheme(scheme), Q3)
    except QualityBreach:
        return "breach"
    [row] = [q for q in result.quality if q["cause"] == cause]
    return row["level"]


def test_the_scheme_sets_its_own_levels(tmp_path):
    assert verdict(some_bad(tmp_path / "default", bad=10)) == "breach"
    assert verdict(some_bad(tmp_path / "scheme", bad=10, extra='quality: {error_if: "> 20%"}\n')) == "warning"


def test_a_dataset_sets_its_own_levels(tmp_path):
    extra = 'quality: {error_if: "> 1%", datasets: {sales: {warn_if: never, error_if: "> 20%"}}}\n'
    assert verdict(some_bad(tmp_path / "data", bad=10, extra=extra)) == "ok"


def test_a_column_sets_its_own_levels_over_its_dataset(tmp_path):
    extra = ('quality: {datasets: {sales: {error_if: never, columns: {amount: {error_if: ">= 2"}}}}}\n')
    assert verdict(some_bad(tmp_path / "two", bad=2, extra=extra)) == "breach"
    assert verdict(some_bad(tmp_path / "one", bad=1, extra=extra)) == "ok"


def test_a_cause_sets_its_own_levels(tmp_path):
    extra = 'quality: {causes: {unparseable integer: {warn_if: "> 0", error_if: "> 50%"}}}\n'
    assert verdict(some_bad(tmp_path / "data", bad=10, extra=extra)) == "warning"


def test_a_column_beats_a_cause_of_the_whole_scheme(tmp_path):
    extra = ('quality:\n  causes: {unparseable integer: {error_if: never}}\n'
             '  datasets: {sales: {columns: {amount: {error_if: "> 5%"}}}}\n')
    assert verdict(some_bad(tmp_path / "data", bad=10, extra=extra)) == "breach"


def test_a_warning_in_the_columns_that_place_rows_flags_every_indicator_of_the_dataset(tmp_path):
    scheme = write_story(tmp_path / "data", ["20"] * 40, agents=["zz"] + ["a1"] * 39)
    result = run(load_scheme(scheme), Q3)
    flag = "data warning: 2.5% unknown appraisee in sales.agent_id"
    assert [c.flags for c in result.appraisee("a1").cells] == [(flag,), (flag,), (flag,)]

def test_a_column_nothing_reads_is_counted_not_judged(tmp_path):
    scheme = write_story(tmp_path / "data", ["20"] * 10, notes=["lots"] * 10)  # note_count: integer, unread
    result = run(load_scheme(scheme), Q3)
    [row] = [q for q in result.quality if q["column"] == "note_count"]
    assert (row["count"], row["level"]) == (10, None)


def test_a_column_named_in_the_block_is_judged_even_unread(tmp_path):
    extra = "quality: {datasets: {sales: {columns: {note_count: {}}}}}\n"
    scheme = write_story(tmp_path / "data", ["20"] * 10, notes=["lots"] * 10, extra=extra)
    assert verdict(scheme) == "breach"


def test_rows_outside_the_period_and_exclusions_are_never_judged(tmp_path):
    extra = ("exclusions: [{dataset: sales, where: \"channel == 'web'\", reason: test orders}]\n"
             "quality: {error_if: \"> 0\"}\n")
    scheme = write_story(tmp_path / "data", ["20"] * 10, extra=extra)
    with (tmp_path / "data" / "sales.csv").open("a", encoding="utf-8") as sales:
        sales.write("s9999,a1,2026-10-05,20,shop,1\r\n")  # in Q4; csv writes \r\n
    result = run(load_scheme(scheme), Q3)
    counts = {q["cause"]: (q["count"], q["level"]) for q in result.quality}
    assert counts == {"excluded: test orders": (10, None), "outside period": (1, None)}


def test_unknown_appraisees_are_judged_among_the_rows_kept(tmp_path):
    scheme = write_story(tmp_path / "data", ["20"] * 40, agents=["zz"] + ["a1"] * 39)
    result = run(load_scheme(scheme), Q3)
    [row] = [q for q in result.quality if q["cause"] == "unknown appraisee"]
    assert {k: row[k] for k in ("count", "rows", "level", "examples")} == {
        "count": 1, "rows": 40, "level": "warning", "examples": ["'zz'"],
    }


# -- examples -----------------------------------------------------------------------------------

def test_examples_are_the_three_smallest_distinct_values_from_the_counting_query(tmp_path):
    scheme = write_story(tmp_path / "data", ["x9", "x1", "x1", "x5", "x3", "7"])
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        [count] = [c for c in engine.quality if c.column == "amount"]
    assert (count.count, count.rows, count.examples) == (5, 6, ("x1", "x3", "x5"))


def test_duplicate_keys_name_the_repeated_keys(tmp_path):
    scheme = write_story(tmp_path / "data", ["20"] * 3)
    sales = tmp_path / "data" / "sales.csv"
    lines = sales.read_text(encoding="utf-8").splitlines()
    sales.write_text("\n".join([*lines, lines[2], lines[1], lines[1]]) + "\n", encoding="utf-8")
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        [count] = [c for c in engine.quality if c.cause == "duplicate key"]
    assert (count.count, count.rows, count.examples) == (3, 6, ("s0000", "s0001"))


def test_examples_are_cut_to_40_characters_with_control_characters_escaped(run_cli, tmp_path):
    long = "9" * 30 + "x" * 30
    scheme = write_story(tmp_path / "data", ["20"] * 8 + ["\x1b[31mred", long])
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        "  sales: 2 of 10 rows (20.0%) unparseable integer in column 'amount': error, above 5%;"
        " e.g. '\\x1b[31mred', '" + "9" * 30 + "x" * 10 + "'..."
    )


@given(st.text(max_size=200))
def test_a_shown_value_is_printable_and_cut(text):
    out = shown(text)
    assert out.isprintable()
    assert len(out) <= 2 + 10 * 40 + 3  # quotes, every character escaped at most to \UXXXXXXXX, the ellipsis
    if text.isprintable() and "\\" not in text and "'" not in text and len(text) <= 40:
        assert out == f"'{text}'"


# -- the levels themselves ----------------------------------------------------------------------

def test_the_schema_and_the_checks_read_levels_alike():
    assert scheme_schema()["$defs"]["quality_limit"]["pattern"] == LIMIT_PATTERN


@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(0, 100), st.booleans(), st.booleans())
def test_a_level_is_crossed_as_a_plain_comparison_says(count, rows, amount, share, inclusive):
    text = f"{'>=' if inclusive else '>'} {amount}{'%' if share else ''}"
    limit = parse_limit(text)
    assert re.fullmatch(LIMIT_PATTERN, text)
    measured = 100 * count / rows if share else count
    assert limit.crossed(count, rows) == (measured >= amount if inclusive else measured > amount)


@pytest.fixture(scope="module")
def levels():
    """tests/data/quality/levels.yaml: a warning above 2% of the rows, an error from 50 rows."""
    return load_scheme(Path(__file__).parent / "data" / "quality" / "levels.yaml")


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_more_wrong_rows_never_give_a_milder_verdict(levels, fewer, more):
    fewer, more = sorted((fewer, more))
    scheme = levels
    order = {"ok": 0, "warning": 1, "error": 2}

    def level(n: int) -> str:
        count = QualityCount("sales", "unparseable integer", "amount", n, rows=1000)
        [finding] = assess(scheme, [count]).findings
        return finding.level

    assert order[level(fewer)] <= order[level(more)]


# -- validate -----------------------------------------------------------------------------------

def test_validate_names_an_unknown_dataset_and_column_in_the_block(run_cli, tmp_path):
    extra = "quality:\n  datasets:\n    sale: {}\n    sales: {columns: {amont: {}}}\n"
    scheme = some_bad(tmp_path / "data", bad=0, extra=extra)
    result = run_cli("validate", str(scheme))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"{scheme}:34:11: quality.datasets.sale: unknown dataset 'sale'; did you mean 'sales'?",
        f"{scheme}:35:30: quality.datasets.sales.columns.amont: unknown column 'amont' in dataset 'sales';"
        " did you mean 'amount'?",
    ]


def test_validate_refuses_a_warning_level_above_the_error_level(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=0, extra='quality: {warn_if: "> 10%", error_if: "> 5%"}\n')
    result = run_cli("validate", str(scheme))
    assert result.stderr.splitlines()[0] == (
        f"{scheme}:32:20: quality.warn_if: warn_if '> 10%' can never warn: error_if '> 5%' stops the run first"
    )


def test_validate_refuses_a_level_that_is_not_one(run_cli, tmp_path):
    scheme = some_bad(tmp_path / "data", bad=0, extra="quality: {error_if: 5}\n")
    result = run_cli("validate", str(scheme))
    assert result.exit_code == 1 and "quality.error_if: expected a text, found the number 5" in result.stderr


@pytest.mark.parametrize(("warn", "error", "warns"), [
    ("> 5%", "> 5%", False), (">= 5%", "> 5%", True), ("> 5%", ">= 5%", False), ("> 4%", "> 5%", True),
    ("> 10", "> 5%", True),  # a number of rows and a share: either can come first
])
def test_validate_knows_when_a_warning_level_can_warn(run_cli, tmp_path, warn, error, warns):
    scheme = some_bad(tmp_path / "data", bad=0, extra=f'quality: {{warn_if: "{warn}", error_if: "{error}"}}\n')
    assert run_cli("validate", str(scheme)).exit_code == (0 if warns else 1)


# -- the demo -----------------------------------------------------------------------------------

def test_the_demo_passes_even_strict_and_prints_its_planted_defects(run_cli, tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--strict")
    assert result.exit_code == 0, result.stderr
    counts = result.stdout[result.stdout.index("data quality:\n"):].splitlines()[1:]
    planted = [
        r"tickets: 1 of [\d,]+ rows \(<0\.1%\) duplicate key in column 'ticket_id'; e\.g\. 'TK\d+'",
        r"tickets: 1 of [\d,]+ rows \(<0\.1%\) unknown appraisee in column 'agent_id'; e\.g\. 'CS999'",
        r"tickets: 1 of [\d,]+ rows \(<0\.1%\) negative duration in column 'completion_h'",
        r"tickets: 36 of [\d,]+ rows \(0\.1%\) excluded: Supplier's defective batch, outside the agent's control",
    ]
    assert [p for p in planted if not any(re.fullmatch(f"  {p}", line) for line in counts)] == []
    assert [line for line in counts if ": warning" in line or ": error" in line] == []

